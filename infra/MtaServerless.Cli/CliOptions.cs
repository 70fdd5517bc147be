using System.CommandLine;
using Microsoft.Extensions.Configuration;
using MtaServerless.Core.Storage;

namespace MtaServerless.Cli;

/// <summary>Where the storage is, and how to print: shared by every command.</summary>
internal static class CliOptions
{
    public static readonly Option<string?> ConnectionString = new("--connection-string")
    {
        Description = "Storage connection string (default: $MtaStorage, else the local runner's Azurite).",
        Recursive = true,
    };

    public static readonly Option<string?> Account = new("--account")
    {
        Description = "Storage account name in Azure, reached with DefaultAzureCredential (az login, managed identity).",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON instead of a table.",
        Recursive = true,
    };

    public static IReadOnlyList<Option> Global { get; } = [ConnectionString, Account, Json];

    public static MtaStorageClients Storage(ParseResult result)
    {
        var account = result.GetValue(Account);
        var connectionString = result.GetValue(ConnectionString) ?? Environment.GetEnvironmentVariable(StorageNames.Connection);
        if (account is not null && connectionString is not null && result.GetValue(ConnectionString) is not null)
        {
            throw CliException.BadInput("Give either --connection-string or --account, not both.");
        }

        if (account is not null)
        {
            var settings = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { [$"{StorageNames.Connection}:accountName"] = account })
                .Build();
            return MtaStorageClients.FromConfiguration(settings);
        }

        try
        {
            return MtaStorageClients.FromConnectionString(connectionString ?? AzuriteConnection.For());
        }
        catch (FormatException ex)
        {
            throw CliException.BadInput($"The storage connection string is not valid: {ex.Message}");
        }
    }
}
