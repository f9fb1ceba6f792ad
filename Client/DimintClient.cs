using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace DiMint.Client;

/// <summary>
/// The .NET client of a DiMint cluster: typed get/set of keys spread over hash ranges. It caches the ring, routes
/// each key to the range grain that owns it, and re-routes on its own when the ring has changed. Thread-safe;
/// share one instance.
/// </summary>
/// <remarks>
/// Keys are strings; numbers, bools and Guids given as keys become their invariant text (<see cref="DiMintKey"/>).
/// Values are null, bool, integers, doubles, strings, bytes, lists, dictionaries and sets, nested freely
/// (<see cref="ValueCodec"/>); what is read back has the shape and element types that were written.
/// </remarks>
public sealed partial class DimintClient : IAsyncDisposable
{
    private readonly IGrainFactory _grains;
    private readonly DimintClientOptions _options;
    private readonly RingCache _ring;
    private readonly IHost? _ownedHost;
    private readonly WriteIdSource _writeIds = new();

    /// <summary>The ids this client's writes carry (shared with its automatic batching).</summary>
    internal WriteIdSource WriteIdSource => _writeIds;

    /// <summary>Creates a client over an Orleans client (or silo) that is already connected to the cluster.</summary>
    public DimintClient(IGrainFactory grainFactory, DimintClientOptions? options = null)
        : this(grainFactory, options ?? new DimintClientOptions(), ownedHost: null)
    {
    }

    private DimintClient(IGrainFactory grainFactory, DimintClientOptions options, IHost? ownedHost)
    {
        ArgumentNullException.ThrowIfNull(grainFactory);
        _grains = grainFactory;
        _options = options;
        _ring = new RingCache(grainFactory);

        // Learns the ring from a silo it reaches when its Orleans gateway does not answer (paused, or cut off).
        _ring.WatchElsewhere = version => _batcher?.WatchRingThroughSiloAsync(version);
        _ownedHost = ownedHost;
    }

    /// <summary>The options the client runs with.</summary>
    public DimintClientOptions Options => _options;

    /// <summary>
    /// Connects to the cluster through <see cref="DimintClientOptions.ZooKeeper"/> when set, else
    /// <see cref="DimintClientOptions.Gateways"/> (default <c>127.0.0.1:30000</c>),
    /// retrying until <see cref="DimintClientOptions.ConnectTimeout"/>, and fetches the ring.
    /// </summary>
    /// <exception cref="FormatException">A gateway is not <c>host:port</c>, or the ZooKeeper connection string is malformed.</exception>
    /// <exception cref="DiMintException">No gateway answered in time (<see cref="DiMintErrorCode.ClusterUnavailable"/>).</exception>
    public static async Task<DimintClient> ConnectAsync(DimintClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DimintClientOptions();
        var host = BuildClientHost(options);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await host.StartAsync(timeout.Token);
            var client = new DimintClient(host.Services.GetRequiredService<IClusterClient>(), options, host);
            await client._ring.RefreshAsync().WaitAsync(timeout.Token);
            return client;
        }
        catch (Exception ex) when (ZooKeeperRefused(ex) is { } refused)
        {
            host.Dispose();
            throw new UnauthorizedException(
                $"ZooKeeper refused this client the cluster's membership at {Describe(options)} ({refused.Code}): give the cluster's ZooKeeper user (DimintClientOptions.ZooKeeperDigest, dimint --zookeeper-auth-file).",
                refused);
        }
        catch (Exception ex) when (Unauthorized(ex) is { } unauthorized)
        {
            host.Dispose();
            throw new UnauthorizedException(
                $"The DiMint cluster at {Describe(options)} refused this client: {unauthorized.Message} Give the cluster's secret (DimintClientOptions.ClusterSecret or ClusterSecretFile, dimint --secret-file).",
                unauthorized);
        }
        catch (Exception ex) when (ex is OperationCanceledException or OrleansException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new ClusterUnavailableException(
                $"No DiMint cluster answered at {Describe(options)} within {options.ConnectTimeout.TotalSeconds:0.#} s.", ex);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A host running only an Orleans client for <paramref name="options"/>, without console signal handling or logging
    /// (the application's own host keeps those). Start it to connect.
    /// </summary>
    public static IHost BuildClientHost(DimintClientOptions options)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<IHostLifetime, Hosting.QuietHostLifetime>();
        builder.UseOrleansClient(client => ConfigureOrleansClient(client, options));
        return builder.Build();
    }

    /// <summary>Configures an Orleans client builder to reach the cluster described by <paramref name="options"/>.</summary>
    public static void ConfigureOrleansClient(IClientBuilder client, DimintClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.ZooKeeper))
        {
            DiMint.ZooKeeper.ZooKeeperConnectionString.Parse(options.ZooKeeper);
            client.UseDiMintZooKeeperClustering(o =>
            {
                o.ConnectionString = options.ZooKeeper;
                o.Digest = options.ZooKeeperDigest;
            });
        }
        else
        {
            var endpoints = options.Gateways.Select(HostPort.Parse).ToArray();
            if (endpoints.Length == 0)
            {
                throw new FormatException("At least one gateway is needed.");
            }

            client.UseStaticClustering(endpoints);
        }

        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });
        if (options.Tls() is { } tls)
        {
            // Before the secret: its handshake then runs inside TLS.
            ClusterTls.UseOn(client, tls);
        }

        if (options.Secret() is { } secret)
        {
            client.UseDiMintClusterSecret(secret);
        }
        else
        {
            client.DetectClusterSecretRequired();
        }

        client.UseConnectionRetryFilter(new RetryUntilCancelled());
    }

    /// <summary>The <see cref="UnauthorizedException"/> behind <paramref name="exception"/> (Orleans wraps a connection's failure), or null.</summary>
    private static UnauthorizedException? Unauthorized(Exception? exception) => Behind<UnauthorizedException>(exception, static _ => true);

    /// <summary>The ZooKeeper refusal (no or wrong ZooKeeper user) behind <paramref name="exception"/>, or null.</summary>
    private static DiMint.ZooKeeper.ZooKeeperException? ZooKeeperRefused(Exception? exception) =>
        Behind<DiMint.ZooKeeper.ZooKeeperException>(exception, static e => e.Code is DiMint.ZooKeeper.ZooKeeperErrorCode.NoAuth or DiMint.ZooKeeper.ZooKeeperErrorCode.AuthFailed);

    /// <summary>The first <typeparamref name="T"/> matching <paramref name="match"/> in <paramref name="exception"/>'s inner exceptions (aggregates searched too), or null.</summary>
    private static T? Behind<T>(Exception? exception, Func<T, bool> match)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found && match(found))
            {
                return found;
            }

            if (exception is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Select(e => Behind(e, match)).FirstOrDefault(e => e is not null);
            }
        }

        return null;
    }

    private static string Describe(DimintClientOptions options) =>
        string.IsNullOrWhiteSpace(options.ZooKeeper) ? string.Join(", ", options.Gateways) : $"ZooKeeper {options.ZooKeeper}";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _batcher?.Close();
        if (_ownedHost is not null)
        {
            try
            {
                await _ownedHost.StopAsync(TimeSpan.FromSeconds(5));
            }
            finally
            {
                _ownedHost.Dispose();
            }
        }
    }

    private sealed class RetryUntilCancelled : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            // A wrong secret, or a ZooKeeper user that may not read the cluster's znodes, stays wrong.
            if (cancellationToken.IsCancellationRequested || Unauthorized(exception) is not null || ZooKeeperRefused(exception) is not null)
            {
                return false;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }
}
