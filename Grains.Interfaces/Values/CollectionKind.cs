namespace DiMint;

/// <summary>How a .NET collection type is stored.</summary>
internal enum CollectionKind
{
    List,
    Set,
    Dictionary,
}
