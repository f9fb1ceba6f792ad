using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace DiMint.Grains.Hosting;

/// <summary>Where <see cref="FileGrainStorage"/> keeps its states.</summary>
public sealed class FileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The folder (created when missing) shared by every silo of the cluster: they all run on this machine.</summary>
    public string Directory { get; set; } = string.Empty;

    /// <summary>The payload serializer; defaults to the silo's <see cref="IGrainStorageSerializer"/>.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}

/// <summary>
/// Grain storage in files of a folder every silo of a local cluster shares (one machine): each state is one file whose
/// version, kept in it, is the ETag. A write is a compare-and-swap on that version under an exclusive lock on the
/// state's lock file (an advisory lock the kernel drops with a killed process), and replaces the file by a rename, so
/// a reader never sees half of it. It keeps the ring of a cluster without ZooKeeper when the silo holding Orleans'
/// in-memory storage dies: that storage went with it, and the overlord that started elsewhere found no ring.
/// </summary>
internal sealed class FileGrainStorage(string name, FileGrainStorageOptions options, TimeProvider time) : IGrainStorage
{
    /// <summary>Whether the folder was made (once per instance; its files are made as they are written).</summary>
    private volatile bool _folderMade;

    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);
    private readonly IGrainStorageSerializer _serializer = options.GrainStorageSerializer
        ?? throw new ArgumentException($"File grain storage '{name}' has no GrainStorageSerializer.", nameof(options));

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        using var held = await LockAsync(path);
        if (Read(path) is not { } stored)
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = _serializer.Deserialize<T>(new BinaryData(stored.Payload));
        grainState.ETag = stored.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var payload = _serializer.Serialize(grainState.State).ToArray();
        using var held = await LockAsync(path);
        var version = Check(path, stateName, grainId, grainState.ETag) + 1;
        var file = new byte[sizeof(long) + payload.Length];
        BinaryPrimitives.WriteInt64LittleEndian(file, version);
        payload.CopyTo(file, sizeof(long));
        var temporary = path + ".tmp";
        await File.WriteAllBytesAsync(temporary, file);
        File.Move(temporary, path, overwrite: true);
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        using var held = await LockAsync(path);
        Check(path, stateName, grainId, grainState.ETag);
        File.Delete(path);
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>The stored version when <paramref name="etag"/> names it (0 when nothing is stored and none was read), else a conflict.</summary>
    private static long Check(string path, string stateName, GrainId grainId, string? etag)
    {
        var stored = Read(path)?.Version ?? 0;
        var expected = etag is null ? 0 : long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        if (expected != stored)
        {
            throw new InconsistentStateException(
                $"File storage: the ETag of state '{stateName}' of grain {grainId} is {etag ?? "none"} but the stored version is {stored}.",
                stored.ToString(CultureInfo.InvariantCulture),
                etag ?? string.Empty);
        }

        return stored;
    }

    private static (long Version, byte[] Payload)? Read(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return file.Length < sizeof(long)
            ? throw new InvalidDataException($"{path} is not a stored state ({file.Length} bytes).")
            : (BinaryPrimitives.ReadInt64LittleEndian(file), file[sizeof(long)..]);
    }

    private string PathOf(string stateName, GrainId grainId)
    {
        if (!_folderMade)
        {
            System.IO.Directory.CreateDirectory(options.Directory);
            _folderMade = true;
        }

        var name = $"{stateName}-{grainId}";
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return Path.Combine(options.Directory, safe + ".state");
    }

    /// <summary>The state's lock, held by one process (and one call) at a time; waits for it, for at most <see cref="LockTimeout"/>.</summary>
    private async Task<IDisposable> LockAsync(string path)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (time.GetElapsedTime(started) < LockTimeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(5), time);
            }
        }
    }
}

/// <summary>Refuses <see cref="FileGrainStorageOptions"/> without a folder.</summary>
internal sealed class FileGrainStorageOptionsValidator : IValidateOptions<FileGrainStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, FileGrainStorageOptions options) =>
        string.IsNullOrWhiteSpace(options.Directory) ? ValidateOptionsResult.Fail("FileGrainStorageOptions.Directory is required.") : ValidateOptionsResult.Success;
}
