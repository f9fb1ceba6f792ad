namespace DiMint.Faults.History;

/// <summary>
/// The operations of one key in the arrays the search works on: sorted by invocation, values interned to small
/// integers (0 is "not found"), unknown writes given a return at +infinity.
/// </summary>
internal sealed class KeyHistory
{
    public const int NotFound = 0;

    private readonly List<string?> _valueNames = [null];

    public KeyHistory(IEnumerable<Operation> operations)
    {
        // OrderBy is stable: operations invoked at the same timestamp keep their input order, so runs are repeatable.
        Operations = operations.OrderBy(o => o.InvokedAt).ToArray();
        Count = Operations.Length;
        IsWrite = new bool[Count];
        IsIncrement = new bool[Count];
        Value = new int[Count];
        Invoked = new long[Count];
        Returned = new long[Count];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            var operation = Operations[i];
            IsWrite[i] = operation.Kind == OperationKind.Write;
            IsIncrement[i] = operation.Kind == OperationKind.Increment;
            Value[i] = Intern(operation.Value, ids);

            Invoked[i] = operation.InvokedAt;

            // An unknown write may take effect at any time after its invocation, so it never precedes anything.
            Returned[i] = operation.Outcome == OperationOutcome.Unknown ? long.MaxValue : operation.CompletedAt;
        }

        // A counter's states are the integers 0 ("not found") to one per increment: each gets an id up front, so the
        // search moves from state to state by a lookup.
        var increments = IsIncrement.Count(i => i);
        if (increments > 0)
        {
            _counterStates = new int[increments + 1];
            for (var n = 1; n <= increments; n++)
            {
                _counterStates[n] = Intern(n.ToString(System.Globalization.CultureInfo.InvariantCulture), ids);
            }

            _numbers = [.. _valueNames.Select(v => v is null ? 0 : long.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1)];
        }
    }

    private readonly int[]? _counterStates;
    private readonly long[]? _numbers;

    /// <summary>Whether each operation is an increment (the others are writes or reads).</summary>
    public bool[] IsIncrement { get; }

    /// <summary>The state an increment leads to from <paramref name="state"/>, or -1 when it cannot apply there (not an integer, or beyond every increment).</summary>
    public int AfterIncrement(int state)
    {
        var number = _numbers![state];
        return number >= 0 && number + 1 < _counterStates!.Length ? _counterStates[number + 1] : -1;
    }

    public Operation[] Operations { get; }

    public int Count { get; }

    public bool[] IsWrite { get; }

    /// <summary>Interned value: written by a write, returned by a read.</summary>
    public int[] Value { get; }

    public long[] Invoked { get; }

    public long[] Returned { get; }

    public string? ValueName(int value) => _valueNames[value];

    private int Intern(string? value, Dictionary<string, int> ids)
    {
        if (value is null)
        {
            return NotFound;
        }

        if (!ids.TryGetValue(value, out var id))
        {
            id = _valueNames.Count;
            _valueNames.Add(value);
            ids.Add(value, id);
        }

        return id;
    }
}
