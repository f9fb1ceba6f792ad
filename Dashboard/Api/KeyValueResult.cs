namespace DiMint.Dashboard.Api;

/// <summary>A key's value as <c>GET</c>/<c>PUT /api/kv</c> answer it.</summary>
/// <param name="Key">The key as stored (numbers keep their text).</param>
/// <param name="Value">The value in DiMint's JSON notation, as <c>dimint get</c> prints it.</param>
/// <param name="Kind">The value's top-level type.</param>
/// <param name="Typed">The value with the type of every part.</param>
public sealed record KeyValueResult(string Key, string Value, string Kind, TypedValue Typed);
