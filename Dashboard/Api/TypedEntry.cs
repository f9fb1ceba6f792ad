namespace DiMint.Dashboard.Api;

/// <summary>One entry of a dictionary in a <see cref="TypedValue"/>.</summary>
public sealed record TypedEntry(TypedValue Key, TypedValue Value);
