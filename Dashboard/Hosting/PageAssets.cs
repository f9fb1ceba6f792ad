using System.Reflection;

namespace DiMint.Dashboard.Hosting;

/// <summary>Serves the page's HTML, CSS and JavaScript from the assembly's embedded resources (no files to deploy).</summary>
internal static class PageAssets
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static IEndpointRouteBuilder MapPage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => Serve("index.html"));
        endpoints.MapGet("/{file:regex(^[a-z0-9-]+\\.(css|js|html|svg)$)}", (string file) => Serve(file));
        return endpoints;
    }

    private static IResult Serve(string file)
    {
        var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"wwwroot/{file}");
        if (stream is null)
        {
            return Results.NotFound();
        }

        var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream");
        return Results.Stream(stream, type);
    }
}
