using System.Collections;
using System.Collections.Concurrent;

namespace DiMint;

/// <summary>Tells whether a collection type is a set, a dictionary or a list, and reads dictionary entries.</summary>
internal static class CollectionShape
{
    private static readonly ConcurrentDictionary<Type, CollectionKind> Kinds = new();

    public static CollectionKind Of(Type type) => Kinds.GetOrAdd(type, Classify);

    public static List<(object? Key, object? Value)> Entries(object dictionary)
    {
        if (dictionary is IDictionary nonGeneric)
        {
            var result = new List<(object?, object?)>(nonGeneric.Count);
            var e = nonGeneric.GetEnumerator();
            while (e.MoveNext())
            {
                result.Add((e.Key, e.Value));
            }

            return result;
        }

        // A generic dictionary that is not an IDictionary: its items are KeyValuePair<TKey, TValue>.
        var entries = new List<(object?, object?)>();
        foreach (var item in (IEnumerable)dictionary)
        {
            var pairType = item!.GetType();
            entries.Add((pairType.GetProperty("Key")!.GetValue(item), pairType.GetProperty("Value")!.GetValue(item)));
        }

        return entries;
    }

    private static CollectionKind Classify(Type type)
    {
        if (typeof(IDictionary).IsAssignableFrom(type))
        {
            return CollectionKind.Dictionary;
        }

        var kind = CollectionKind.List;
        foreach (var candidate in type.GetInterfaces())
        {
            if (!candidate.IsGenericType)
            {
                continue;
            }

            var definition = candidate.GetGenericTypeDefinition();
            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                return CollectionKind.Dictionary;
            }

            if (definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
            {
                kind = CollectionKind.Set;
            }
        }

        return kind;
    }
}
