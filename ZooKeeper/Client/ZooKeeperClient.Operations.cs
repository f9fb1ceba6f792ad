using DiMint.ZooKeeper.Protocol;

namespace DiMint.ZooKeeper;

public sealed partial class ZooKeeperClient
{
    private const int PermsAll = 31;

    /// <summary>Creates a node with an open ACL (opcode create2) and returns its path and metadata.</summary>
    /// <exception cref="NodeExistsException">The node exists.</exception>
    /// <exception cref="NoNodeException">The parent does not exist.</exception>
    public async Task<ZooKeeperCreateResult> CreateAsync(
        string path, ReadOnlyMemory<byte> data, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential);
        var request = NewRequest(OpCode.Create2);
        WriteCreateBody(request, path, data, mode);
        var reply = await SubmitAsync(request, OpCode.Create2, path, cancellationToken).ConfigureAwait(false);
        return ParseCreate2(reply);
    }

    /// <summary>Deletes a node if its version is <paramref name="version"/> (-1 for any version).</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The node has another version.</exception>
    /// <exception cref="NotEmptyException">The node has children.</exception>
    public async Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var request = NewRequest(OpCode.Delete);
        request.WriteString(ServerPath(path));
        request.WriteInt(version);
        await SubmitAsync(request, OpCode.Delete, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the node's metadata, or null when it does not exist.</summary>
    public async Task<ZooKeeperStat?> ExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var request = NewRequest(OpCode.Exists);
        request.WriteString(ServerPath(path));
        request.WriteBool(false);
        try
        {
            var reply = await SubmitAsync(request, OpCode.Exists, path, cancellationToken).ConfigureAwait(false);
            return ParseStat(reply);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>Reads a node's data and metadata.</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public async Task<ZooKeeperNodeData> GetDataAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var request = NewRequest(OpCode.GetData);
        request.WriteString(ServerPath(path));
        request.WriteBool(false);
        var reply = await SubmitAsync(request, OpCode.GetData, path, cancellationToken).ConfigureAwait(false);
        return ParseGetData(reply);
    }

    /// <summary>Sets a node's data if its version is <paramref name="version"/> (-1 for any) and returns the new metadata.</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The node has another version.</exception>
    public async Task<ZooKeeperStat> SetDataAsync(
        string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var request = NewRequest(OpCode.SetData);
        request.WriteString(ServerPath(path));
        request.WriteBuffer(data.Span);
        request.WriteInt(version);
        var reply = await SubmitAsync(request, OpCode.SetData, path, cancellationToken).ConfigureAwait(false);
        return ParseStat(reply);
    }

    /// <summary>Lists a node's children together with the node's metadata (opcode getChildren2).</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public async Task<ZooKeeperChildren> GetChildrenAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var request = NewRequest(OpCode.GetChildren2);
        request.WriteString(ServerPath(path));
        request.WriteBool(false);
        var reply = await SubmitAsync(request, OpCode.GetChildren2, path, cancellationToken).ConfigureAwait(false);
        return ParseChildren(reply);
    }

    /// <summary>Waits until the connected server has caught up with the leader for <paramref name="path"/>.</summary>
    public async Task SyncAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        var request = NewRequest(OpCode.Sync);
        request.WriteString(ServerPath(path));
        await SubmitAsync(request, OpCode.Sync, path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies <paramref name="operations"/> atomically: all or none. A failed operation does not throw: the result
    /// tells which operation failed and why (see <see cref="ZooKeeperMultiResult.ThrowIfFailed"/>). Connection and
    /// session errors throw.
    /// </summary>
    public async Task<ZooKeeperMultiResult> MultiAsync(IEnumerable<ZooKeeperOp> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations.ToArray();
        if (ops.Length == 0)
        {
            return new ZooKeeperMultiResult([]);
        }

        var request = NewRequest(OpCode.Multi);
        foreach (var op in ops)
        {
            request.WriteInt((int)op.Kind);
            request.WriteBool(false);
            request.WriteInt(-1);
            switch (op.Kind)
            {
                case ZooKeeperOpKind.Create:
                    WriteCreateBody(request, op.Path, op.Data, op.Mode);
                    break;
                case ZooKeeperOpKind.Delete:
                case ZooKeeperOpKind.Check:
                    request.WriteString(ServerPath(op.Path));
                    request.WriteInt(op.Version);
                    break;
                case ZooKeeperOpKind.SetData:
                    request.WriteString(ServerPath(op.Path));
                    request.WriteBuffer(op.Data.Span);
                    request.WriteInt(op.Version);
                    break;
            }
        }

        request.WriteInt(-1);
        request.WriteBool(true);
        request.WriteInt(-1);
        var reply = await SubmitAsync(request, OpCode.Multi, ops[0].Path, cancellationToken).ConfigureAwait(false);
        return ParseMulti(reply, ops);
    }

    private static JuteWriter NewRequest(int opCode)
    {
        var request = new JuteWriter();
        request.WriteInt(0); // xid, assigned when sent
        request.WriteInt(opCode);
        return request;
    }

    private static ZooKeeperStat ParseStat(ZooKeeperReply reply)
    {
        var body = reply.Body();
        return body.ReadStat();
    }

    private static ZooKeeperNodeData ParseGetData(ZooKeeperReply reply)
    {
        var body = reply.Body();
        var data = body.ReadBuffer() ?? [];
        return new ZooKeeperNodeData(data, body.ReadStat());
    }

    private static ZooKeeperChildren ParseChildren(ZooKeeperReply reply)
    {
        var body = reply.Body();
        var count = body.ReadInt();
        var children = new List<string>(Math.Max(count, 0));
        for (var i = 0; i < count; i++)
        {
            children.Add(body.ReadString() ?? string.Empty);
        }

        return new ZooKeeperChildren(children, body.ReadStat());
    }

    private void WriteCreateBody(JuteWriter request, string path, ReadOnlyMemory<byte> data, CreateMode mode) =>
        WriteCreateBodyAt(request, ServerPath(path), data, mode);

    /// <summary>A create's body for <paramref name="serverPath"/> (the chroot already applied), with this client's ACL.</summary>
    private void WriteCreateBodyAt(JuteWriter request, string serverPath, ReadOnlyMemory<byte> data, CreateMode mode)
    {
        request.WriteString(serverPath);
        request.WriteBuffer(data.Span);
        request.WriteInt(1); // ACL vector of one entry, all permissions: the digest user, or world:anyone
        request.WriteInt(PermsAll);
        request.WriteString(_digestId is null ? "world" : "digest");
        request.WriteString(_digestId ?? "anyone");
        request.WriteInt((int)mode);
    }

    /// <summary>Creates the chroot's nodes that are missing (with this client's ACL), so a new chroot needs no setup.</summary>
    private async Task EnsureChrootAsync(CancellationToken cancellationToken)
    {
        var path = string.Empty;
        foreach (var part in Chroot!.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            var request = NewRequest(OpCode.Create);
            WriteCreateBodyAt(request, path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
            try
            {
                await SubmitAsync(request, OpCode.Create, path, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                // There already.
            }
        }
    }

    private ZooKeeperCreateResult ParseCreate2(ZooKeeperReply reply)
    {
        var body = reply.Body();
        var path = body.ReadString() ?? string.Empty;
        return new ZooKeeperCreateResult(ZooKeeperPath.RemoveChroot(Chroot, path), body.ReadStat());
    }

    private ZooKeeperMultiResult ParseMulti(ZooKeeperReply reply, ZooKeeperOp[] ops)
    {
        var body = reply.Body();
        var results = new List<ZooKeeperOpResult>(ops.Length);
        while (true)
        {
            var type = body.ReadInt();
            var done = body.ReadBool();
            var err = body.ReadInt();
            if (done)
            {
                break;
            }

            var index = results.Count;
            if (index >= ops.Length)
            {
                throw new ZooKeeperProtocolException("The multi reply has more results than operations.");
            }

            var op = ops[index];
            switch (type)
            {
                case OpCode.Create:
                    results.Add(new ZooKeeperOpResult(op.Kind, ZooKeeperErrorCode.Ok, ZooKeeperPath.RemoveChroot(Chroot, body.ReadString() ?? string.Empty)));
                    break;
                case OpCode.Create2:
                    var created = ZooKeeperPath.RemoveChroot(Chroot, body.ReadString() ?? string.Empty);
                    results.Add(new ZooKeeperOpResult(op.Kind, ZooKeeperErrorCode.Ok, created, body.ReadStat()));
                    break;
                case OpCode.SetData:
                    results.Add(new ZooKeeperOpResult(op.Kind, ZooKeeperErrorCode.Ok, op.Path, body.ReadStat()));
                    break;
                case OpCode.Delete:
                case OpCode.Check:
                    results.Add(new ZooKeeperOpResult(op.Kind, ZooKeeperErrorCode.Ok, op.Path));
                    break;
                case OpCode.Error:
                    err = body.ReadInt();
                    results.Add(new ZooKeeperOpResult(op.Kind, (ZooKeeperErrorCode)err, op.Path));
                    break;
                default:
                    throw new ZooKeeperProtocolException($"Unexpected multi result type {type}.");
            }
        }

        return new ZooKeeperMultiResult(results);
    }

    private string ServerPath(string path) => ZooKeeperPath.AddChroot(Chroot, path);

    private async Task<ZooKeeperReply> SubmitAsync(JuteWriter request, int opCode, string? path, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        if (request.PayloadLength > _options.MaxFrameLength)
        {
            throw new RequestTooLargeException(path, request.PayloadLength, _options.MaxFrameLength);
        }

        ZooKeeperReply reply;
        while (true)
        {
            var connection = await WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                reply = await connection.SendAsync(request, opCode, NextXid, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (ConnectionNotUsableException)
            {
                // The connection failed before the request was written; wait for the next one.
            }
        }

        if (reply.Err != 0)
        {
            var code = (ZooKeeperErrorCode)reply.Err;
            if (code == ZooKeeperErrorCode.SessionExpired)
            {
                OnExpired();
            }

            throw ZooKeeperException.Create(code, path);
        }

        return reply;
    }
}
