using System.Collections.Concurrent;
using System.Reflection;

namespace DiMint;

/// <summary>
/// Converts a decoded value (see <see cref="ValueCodec"/>) to the type a caller asks for: numbers widen or narrow
/// when the value fits, lists become arrays or typed lists, sets typed sets, dictionaries typed dictionaries.
/// </summary>
public static class ValueConverter
{
    private static readonly ConcurrentDictionary<Type, Func<object?, object?>> Converters = new();

    /// <summary>Converts <paramref name="value"/> to <typeparamref name="T"/>.</summary>
    /// <exception cref="ValueTypeMismatchException">The value cannot be represented as <typeparamref name="T"/>.</exception>
    public static T Convert<T>(object? value) => (T)Convert(value, typeof(T))!;

    /// <summary>Converts <paramref name="value"/> to <paramref name="type"/>.</summary>
    /// <exception cref="ValueTypeMismatchException">The value cannot be represented as <paramref name="type"/>.</exception>
    public static object? Convert(object? value, Type type)
    {
        if (type == typeof(object) || (value is not null && type == value.GetType()))
        {
            return value;
        }

        if (value is null)
        {
            if (!type.IsValueType || Nullable.GetUnderlyingType(type) is not null)
            {
                return null;
            }

            throw Mismatch(value, type);
        }

        return Converters.GetOrAdd(type, Build)(value);
    }

    private static Func<object?, object?> Build(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(int) || target == typeof(long) || target == typeof(short) || target == typeof(byte)
            || target == typeof(sbyte) || target == typeof(ushort) || target == typeof(uint) || target == typeof(ulong)
            || target == typeof(decimal))
        {
            return v => v is long l ? Checked(() => System.Convert.ChangeType(l, target, System.Globalization.CultureInfo.InvariantCulture), v, type) : throw Mismatch(v, type);
        }

        if (target == typeof(double) || target == typeof(float))
        {
            return v => v switch
            {
                double d => target == typeof(double) ? d : (float)d,
                long l => target == typeof(double) ? (double)l : (float)l,
                _ => throw Mismatch(v, type),
            };
        }

        if (target == typeof(ReadOnlyMemory<byte>))
        {
            return v => v is byte[] b ? new ReadOnlyMemory<byte>(b) : throw Mismatch(v, type);
        }

        if (type.IsArray && type.GetArrayRank() == 1)
        {
            var element = type.GetElementType()!;
            return v =>
            {
                var items = v as List<object?> ?? (v as HashSet<object?>)?.ToList() ?? throw Mismatch(v, type);
                var array = Array.CreateInstance(element, items.Count);
                for (var i = 0; i < items.Count; i++)
                {
                    array.SetValue(Convert(items[i], element), i);
                }

                return array;
            };
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var args = type.GetGenericArguments();
            if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
                || definition == typeof(IEnumerable<>) || definition == typeof(ICollection<>) || definition == typeof(IReadOnlyCollection<>))
            {
                var make = Generic(nameof(ToList), args);
                return v => v is List<object?> || (v is HashSet<object?> && definition == typeof(IEnumerable<>))
                    ? make.Invoke(null, [v])
                    : throw Mismatch(v, type);
            }

            if (definition == typeof(HashSet<>) || definition == typeof(ISet<>) || definition == typeof(IReadOnlySet<>))
            {
                var make = Generic(nameof(ToSet), args);
                return v => v is HashSet<object?> ? make.Invoke(null, [v]) : throw Mismatch(v, type);
            }

            if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                var make = Generic(nameof(ToDictionary), args);
                return v => v is Dictionary<object, object?> ? make.Invoke(null, [v]) : throw Mismatch(v, type);
            }
        }

        return v => type.IsInstanceOfType(v) ? v : throw Mismatch(v, type);
    }

    private static MethodInfo Generic(string name, Type[] args) =>
        typeof(ValueConverter).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(args);

    private static List<TItem> ToList<TItem>(object value)
    {
        var source = (IEnumerable<object?>)value;
        var result = new List<TItem>();
        foreach (var item in source)
        {
            result.Add((TItem)Convert(item, typeof(TItem))!);
        }

        return result;
    }

    private static HashSet<TItem> ToSet<TItem>(object value)
    {
        var result = new HashSet<TItem>();
        foreach (var item in (HashSet<object?>)value)
        {
            result.Add((TItem)Convert(item, typeof(TItem))!);
        }

        return result;
    }

    private static Dictionary<TKey, TValue> ToDictionary<TKey, TValue>(object value)
        where TKey : notnull
    {
        var source = (Dictionary<object, object?>)value;
        var result = new Dictionary<TKey, TValue>(source.Count);
        foreach (var (key, item) in source)
        {
            result[(TKey)Convert(key, typeof(TKey))!] = (TValue)Convert(item, typeof(TValue))!;
        }

        return result;
    }

    private static object Checked(Func<object> convert, object value, Type type)
    {
        try
        {
            return convert();
        }
        catch (OverflowException)
        {
            throw Mismatch(value, type);
        }
    }

    private static ValueTypeMismatchException Mismatch(object? value, Type type) =>
        new(ValueCodec.KindOf(value), type.FullName ?? type.Name);
}
