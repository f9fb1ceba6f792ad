using System.Collections;

namespace DiMint;

/// <summary>
/// Structural equality for decoded values, so sets and dictionary keys holding bytes or nested collections
/// compare by content. Types stay distinct: the integer <c>1</c> and the double <c>1.0</c> are different values.
/// </summary>
public sealed class ValueComparer : IEqualityComparer<object?>
{
    /// <summary>The shared instance.</summary>
    public static ValueComparer Instance { get; } = new();

    private ValueComparer()
    {
    }

    /// <inheritdoc />
    public new bool Equals(object? x, object? y)
    {
        if (ReferenceEquals(x, y))
        {
            return true;
        }

        if (x is null || y is null || x.GetType() != y.GetType())
        {
            return false;
        }

        switch (x)
        {
            case byte[] bx:
                return bx.AsSpan().SequenceEqual((byte[])y);
            case List<object?> lx:
                {
                    var ly = (List<object?>)y;
                    if (lx.Count != ly.Count)
                    {
                        return false;
                    }

                    for (var i = 0; i < lx.Count; i++)
                    {
                        if (!Equals(lx[i], ly[i]))
                        {
                            return false;
                        }
                    }

                    return true;
                }
            case HashSet<object?> sx:
                return sx.SetEquals((HashSet<object?>)y);
            case Dictionary<object, object?> dx:
                {
                    var dy = (Dictionary<object, object?>)y;
                    if (dx.Count != dy.Count)
                    {
                        return false;
                    }

                    foreach (var (key, value) in dx)
                    {
                        if (!dy.TryGetValue(key, out var other) || !Equals(value, other))
                        {
                            return false;
                        }
                    }

                    return true;
                }
            default:
                return x.Equals(y);
        }
    }

    /// <inheritdoc />
    public int GetHashCode(object? obj)
    {
        switch (obj)
        {
            case null:
                return 0;
            case byte[] bytes:
                {
                    var hash = new HashCode();
                    hash.AddBytes(bytes);
                    return hash.ToHashCode();
                }
            case List<object?> list:
                {
                    var hash = new HashCode();
                    foreach (var item in list)
                    {
                        hash.Add(GetHashCode(item));
                    }

                    return hash.ToHashCode();
                }
            case HashSet<object?> or Dictionary<object, object?>:
                {
                    // Order-independent: sum of element hashes.
                    var sum = 0;
                    foreach (var item in (IEnumerable)obj)
                    {
                        sum = unchecked(sum + (item is KeyValuePair<object, object?> pair
                            ? HashCode.Combine(GetHashCode(pair.Key), GetHashCode(pair.Value))
                            : GetHashCode(item)));
                    }

                    return sum;
                }
            default:
                return obj.GetHashCode();
        }
    }
}
