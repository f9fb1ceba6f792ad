using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DiMint.Client;
using DiMint.Dashboard.Hosting;
using DiMint.Dashboard.Monitoring;
using Microsoft.AspNetCore.Mvc;

namespace DiMint.Dashboard.Api;

/// <summary>
/// The JSON API the page uses: <c>/api/cluster</c>, <c>/api/silos</c>, <c>/api/ring</c>, <c>/api/stats</c>,
/// <c>/api/operations[/{id}]</c> (reads, open to all); <c>/api/kv?key=</c> (GET, PUT with the value's JSON notation as
/// the body, DELETE); and admin actions that need the configured token (<c>POST /api/ranges/{id}/split</c>). Errors are
/// <see cref="ApiError"/> with a 4xx/5xx status.
/// </summary>
internal static class ApiEndpoints
{
    /// <summary>The header admin actions carry their token in.</summary>
    public const string AdminTokenHeader = "X-DiMint-Admin-Token";

    public static IEndpointRouteBuilder MapDimintApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapGet("/cluster", (ClusterMonitor monitor) => monitor.Current);
        api.MapGet("/silos", (ClusterMonitor monitor) => monitor.Current.Silos);
        api.MapGet("/ring", (ClusterMonitor monitor) => new { monitor.Current.RingVersion, monitor.Current.Ranges });
        api.MapGet("/stats", (ClusterMonitor monitor) => new { History = monitor.History });
        api.MapGet("/operations", GetOperationsAsync);
        api.MapGet("/operations/{id:long}", GetOperationAsync);

        api.MapGet("/kv", GetAsync);
        api.MapPut("/kv", SetAsync);
        api.MapPost("/kv", SetAsync);
        api.MapDelete("/kv", DeleteAsync);
        api.MapPost("/ranges/{id:int}/split", SplitAsync);
        api.MapFallback(() => Error(StatusCodes.Status404NotFound, "NotFound", "No such API endpoint."));
        return endpoints;
    }

    // Asked of the overlord on each request (not the monitor's last sample), so a script sees an operation it just started.
    private static Task<IResult> GetOperationsAsync(DimintClient client, TimeProvider time, CancellationToken cancellationToken) =>
        HandleAsync(async () =>
        {
            var operations = await client.GetOperationsAsync(cancellationToken);
            var now = time.GetUtcNow();
            return Results.Ok(operations.Select(op => OperationView.From(op, now)).ToArray());
        });

    private static Task<IResult> GetOperationAsync(long id, DimintClient client, TimeProvider time, CancellationToken cancellationToken) =>
        HandleAsync(async () => await client.GetOperationAsync(id, cancellationToken) is { } op
            ? Results.Ok(OperationView.From(op, time.GetUtcNow()))
            : Error(StatusCodes.Status404NotFound, "UnknownOperation", $"Operation {id} is not known to the overlord (finished long ago, or before it restarted)."));

    private static Task<IResult> GetAsync([FromQuery] string? key, DimintClient client, CancellationToken cancellationToken) =>
        HandleAsync(async () =>
        {
            var name = RequireKey(key);
            var (found, value) = await client.TryGetAsync<object?>(name, cancellationToken);
            return found
                ? Results.Ok(Describe(name, value))
                : Error(StatusCodes.Status404NotFound, "KeyNotFound", $"Key '{name}' is not stored.");
        });

    private static Task<IResult> SetAsync([FromQuery] string? key, HttpRequest request, DashboardHostOptions options, DimintClient client, CancellationToken cancellationToken) =>
        HandleAsync(async () =>
        {
            if (CheckAdmin(request, options) is { } denied)
            {
                return denied;
            }

            var name = RequireKey(key);
            string body;
            using (var reader = new StreamReader(request.Body, Encoding.UTF8))
            {
                body = await reader.ReadToEndAsync(cancellationToken);
            }

            if (string.IsNullOrWhiteSpace(body))
            {
                return Error(StatusCodes.Status400BadRequest, "BadJson", "The value is empty: give it in JSON, e.g. 42, \"text\" or {\"$set\": [1, 2]}.");
            }

            object? value;
            try
            {
                value = ValueJson.Parse(body);
            }
            catch (FormatException ex)
            {
                return Error(StatusCodes.Status400BadRequest, "BadJson", $"The value is not valid: {ex.Message}");
            }

            var stored = await client.SetAsync(name, value, cancellationToken);
            return Results.Ok(Describe(name, stored));
        });

    private static Task<IResult> DeleteAsync([FromQuery] string? key, HttpRequest request, DashboardHostOptions options, DimintClient client, CancellationToken cancellationToken) =>
        HandleAsync(async () =>
        {
            if (CheckAdmin(request, options) is { } denied)
            {
                return denied;
            }

            var name = RequireKey(key);
            return await client.DeleteAsync(name, cancellationToken)
                ? Results.Ok(new { Key = name, Deleted = true })
                : Error(StatusCodes.Status404NotFound, "KeyNotFound", $"Key '{name}' is not stored.");
        });

    private static Task<IResult> SplitAsync(int id, [FromQuery] string? at, HttpRequest request, DashboardHostOptions options, DimintClient client, TimeProvider time, CancellationToken cancellationToken) =>
        HandleAsync(async () =>
        {
            if (CheckAdmin(request, options) is { } denied)
            {
                return denied;
            }

            ulong? point = null;
            if (!string.IsNullOrWhiteSpace(at))
            {
                var hex = at.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? at[2..] : at;
                if (!ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var parsed))
                {
                    return Error(StatusCodes.Status400BadRequest, "BadSplitPoint", $"'{at}' is not a hash (hexadecimal, e.g. 0x8000000000000000).");
                }

                point = parsed;
            }

            var started = await client.StartSplitAsync(id, point, cancellationToken);
            var done = await client.WaitForOperationAsync(started.Id, progress: null, cancellationToken);
            var ring = await client.GetRingAsync(refresh: true, cancellationToken);
            return Results.Ok(new { RingVersion = ring.Version, Ranges = ring.Ranges.Length, Operation = OperationView.From(done, time.GetUtcNow()) });
        });

    private static IResult? CheckAdmin(HttpRequest request, DashboardHostOptions options)
    {
        if (options.AdminToken is not { } expected)
        {
            return Error(StatusCodes.Status403Forbidden, "AdminDisabled", "Writes and admin actions are disabled: start the dashboard with --admin-token.");
        }

        // The header, or the cookie of a browser let in by the token gate (SameSite=Strict: not sent from other sites).
        return TokenGate.Matches(TokenGate.Carried(request), expected) ? null : Error(StatusCodes.Status401Unauthorized, "AdminTokenInvalid", $"Writes and admin actions need the admin token in the {AdminTokenHeader} header.");
    }

    private static string RequireKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw new InvalidKeyException("Give a key: ?key=...");
        }

        return DiMintKey.Normalize(key);
    }

    private static KeyValueResult Describe(string key, object? value) =>
        new(key, ValueJson.Format(value), ValueCodec.KindOf(value), TypedValue.Of(value));

    private static async Task<IResult> HandleAsync(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (LimitExceededException ex)
        {
            return ex.Limit == LimitKind.ValueSize
                ? Error(StatusCodes.Status413PayloadTooLarge, "ValueTooLarge", ex.Message)
                : Error(StatusCodes.Status400BadRequest, ex.Limit.ToString(), ex.Message);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, "ValueTooLarge", "The request is larger than the dashboard accepts; the value cannot be stored.");
        }
        catch (RingOperationException ex) when (ex.Code == DiMintErrorCode.UnknownRange)
        {
            return Error(StatusCodes.Status404NotFound, ex.Code.ToString(), ex.Message);
        }
        catch (RingOperationException ex) when (ex.Code == DiMintErrorCode.OperationInProgress)
        {
            return Error(StatusCodes.Status409Conflict, ex.Code.ToString(), ex.Message);
        }
        catch (DiMintException ex) when (ex.Code is DiMintErrorCode.ClusterUnavailable or DiMintErrorCode.RoutingFailed)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, ex.Code.ToString(), ex.Message);
        }
        catch (DiMintException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Code.ToString(), ex.Message);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or SiloUnavailableException)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, "ClusterUnavailable", $"The cluster did not answer: {ex.Message}");
        }
    }

    private static IResult Error(int status, string code, string message) => Results.Json(new ApiError(message, code), statusCode: status);
}
