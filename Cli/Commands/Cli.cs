namespace DiMint.Cli.Commands;

/// <summary>Runs a command body and turns errors into messages and exit codes.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (CliUsageException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.BadInput;
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.BadInput;
        }
        catch (DiMintException ex) when (ex.Code is DiMintErrorCode.InvalidKey or DiMintErrorCode.LimitExceeded
            or DiMintErrorCode.UnsupportedValueType or DiMintErrorCode.UnknownRange or DiMintErrorCode.InvalidRingOperation
            or DiMintErrorCode.UnknownSilo or DiMintErrorCode.OperationInProgress or DiMintErrorCode.InvalidExpiry
            or DiMintErrorCode.IntegerOverflow or DiMintErrorCode.ValueTypeMismatch)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.BadInput;
        }
        catch (OperationLostException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.ClusterError;
        }
        catch (UnauthorizedException ex)
        {
            Console.Error.WriteLine($"Unauthorized: {ex.Message}");
            return ExitCodes.Unauthorized;
        }
        catch (DiMintKeyNotFoundException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.KeyNotFound;
        }
        catch (DiMintException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return ExitCodes.ClusterError;
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            Console.Error.WriteLine($"The cluster failed the request: {ex.Message}");
            return ExitCodes.ClusterError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return ExitCodes.ClusterError;
        }
    }
}
