namespace DiMint.Dashboard.Api;

/// <summary>The body of every 4xx/5xx answer of <c>/api</c>: a message a person can read, and a stable code.</summary>
public sealed record ApiError(string Error, string Code);
