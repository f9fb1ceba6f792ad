using System.Net;

namespace DiMint.Grains.Hosting;

/// <summary>Where the silo's data port listens, for the host to announce (set while it is open, else null).</summary>
public sealed class DataPortEndpoint
{
    private IPEndPoint? _current;

    /// <summary>The data port's address and port; null while it is closed or when the silo has none.</summary>
    public IPEndPoint? Current
    {
        get => Volatile.Read(ref _current);
        internal set => Volatile.Write(ref _current, value);
    }
}
