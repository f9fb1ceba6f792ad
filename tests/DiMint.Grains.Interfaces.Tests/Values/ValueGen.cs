using CsCheck;

namespace DiMint.Tests.Values;

/// <summary>Random values in the decoded shapes, nested up to a depth.</summary>
internal static class ValueGen
{
    public static readonly Gen<object> Scalar = Gen.OneOf<object>(
        Gen.Long.Select(v => (object)v),
        Gen.Double.Select(v => (object)v),
        Gen.Bool.Select(v => (object)v),
        Gen.String.Select(v => (object)v),
        Gen.Char.AlphaNumeric.Array[0, 8].Select(c => (object)new string(c)));

    public static readonly Gen<object?> Leaf = Gen.Frequency<object?>(
        (1, Gen.Const((object?)null)),
        (8, Scalar.Select(v => (object?)v)),
        (1, Gen.Byte.Array[0, 32].Select(b => (object?)b)));

    public static Gen<object?> Value(int depth)
    {
        if (depth == 0)
        {
            return Leaf;
        }

        var inner = Value(depth - 1);
        return Gen.Frequency(
            (4, Leaf),
            (1, inner.List[0, 5].Select(l => (object?)new List<object?>(l))),
            (1, inner.Array[0, 5].Select(items =>
            {
                var set = new HashSet<object?>(ValueComparer.Instance);
                foreach (var item in items)
                {
                    set.Add(item);
                }

                return (object?)set;
            })),
            (1, Gen.Select(Scalar.Array[0, 5], inner.Array[5]).Select((keys, values) =>
            {
                var map = new Dictionary<object, object?>(ValueComparer.Instance);
                for (var i = 0; i < keys.Length; i++)
                {
                    map[keys[i]] = values[i];
                }

                return (object?)map;
            })));
    }
}
