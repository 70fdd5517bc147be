using System.CommandLine;
using DnsClient;
using DnsClient.Protocol;
using MtaServerless.Core.Dkim;
using MtaServerless.Core.Storage;
using MtaServerless.Pipeline.Dkim;
using MtaServerless.Pipeline.Dns;

namespace MtaServerless.Cli.Commands;

/// <summary>
/// <c>mta dkim add | list | rotate | remove</c>: the signing keys of each sender domain. Private keys are generated
/// straight into the key store (the pipeline's Key Vault, or the local runner's <c>.local/dkim</c>) and never printed;
/// what is printed is the DNS record to publish.
/// </summary>
internal static class DkimCommands
{
    private static readonly TimeSpan DnsTimeout = TimeSpan.FromSeconds(5);

    private static readonly Option<string?> KeyVault = new("--key-vault")
    {
        Description = "The Key Vault of the private keys in Azure: the deployment's PIPELINE_KEY_VAULT_NAME, or its URI. Needed with --account.",
        Recursive = true,
    };

    private static readonly Option<string?> KeyDirectory = new("--key-directory")
    {
        Description = "A directory of private keys (default: the local runner's .local/dkim).",
        Recursive = true,
    };

    public static Command Create(TextWriter output)
    {
        var dkim = new Command("dkim", "Manage the DKIM signing keys of sender domains and check their DNS records.") { KeyVault, KeyDirectory };
        dkim.Subcommands.Add(Add(output));
        dkim.Subcommands.Add(List(output));
        dkim.Subcommands.Add(Rotate(output));
        dkim.Subcommands.Add(Remove(output));
        return dkim;
    }

    private static Argument<string> DomainArgument() => new("domain") { Description = "The sender domain, as in From: addresses (example.com)." };

    private static Option<string?> SelectorOption(string description) => new("--selector") { Description = description };

    private static Option<string> AlgorithmOption() => new("--algorithm")
    {
        Description = "rsa (RSA 2048, rsa-sha256: what every receiver verifies) or ed25519 (RFC 8463, an extra signature beside RSA).",
        DefaultValueFactory = _ => "rsa",
    };

    private static Command Add(TextWriter output)
    {
        var domain = DomainArgument();
        var selector = SelectorOption("The selector (default: rsaYYYYMMDD or edYYYYMMDD).");
        var algorithm = AlgorithmOption();
        var add = new Command("add", "Generate a domain's key in the key store; it signs at once. Prints the DNS record to publish.") { domain, selector, algorithm };
        add.SetAction(async (result, cancellationToken) =>
        {
            var manager = Manager(result);
            var key = await Refused(() => manager.AddAsync(result.GetValue(domain)!, result.GetValue(selector), Algorithm(result.GetValue(algorithm)!), cancellationToken)).ConfigureAwait(false);
            await WriteKeysAsync(output, result, [key], [key]).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return add;
    }

    private static Command List(TextWriter output)
    {
        var domain = new Argument<string?>("domain") { Description = "Only this domain.", Arity = ArgumentArity.ZeroOrOne };
        var nameServers = new Option<string?>("--name-servers") { Description = "DNS servers to check the records with, e.g. 10.0.0.2 or 127.0.0.1:5353 (default: the system's)." };
        var list = new Command("list", "Show each domain's selectors, which sign, and whether DNS publishes their public keys.") { domain, nameServers };
        list.SetAction(async (result, cancellationToken) =>
        {
            var keys = await Refused(() => DkimKeyManager.ListAsync(CliOptions.Storage(result).DkimKeys, result.GetValue(domain), cancellationToken)).ConfigureAwait(false);
            LookupClient dns;
            try
            {
                dns = DnsLookup.Create(result.GetValue(nameServers) ?? string.Empty, DnsTimeout);
            }
            catch (FormatException ex)
            {
                throw CliException.BadInput(ex.Message);
            }

            var published = new Dictionary<DkimKeyEntity, string>();
            foreach (var key in keys)
            {
                published[key] = await CheckRecordAsync(dns, key, cancellationToken).ConfigureAwait(false);
            }

            var signing = keys.GroupBy(k => k.Domain).SelectMany(DkimKeySet.Signing).ToHashSet();
            await WriteKeysAsync(output, result, keys, signing, ("Created", k => k.CreatedAt), ("DNS", k => published[k])).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Rotate(TextWriter output)
    {
        var domain = DomainArgument();
        var selector = SelectorOption("The new key's selector (default: rsaYYYYMMDD or edYYYYMMDD).");
        var algorithm = AlgorithmOption();
        var rotate = new Command(
            "rotate",
            "Generate a new key under a new selector. The old one keeps signing until 'mta dkim remove <domain> --selector <old>', once the new record is published. Prints both records.")
        { domain, selector, algorithm };
        rotate.SetAction(async (result, cancellationToken) =>
        {
            var manager = Manager(result);
            var (signing, added) = await Refused(() => manager.RotateAsync(result.GetValue(domain)!, result.GetValue(selector), Algorithm(result.GetValue(algorithm)!), cancellationToken)).ConfigureAwait(false);
            await WriteKeysAsync(output, result, [signing, added], [signing]).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return rotate;
    }

    private static Command Remove(TextWriter output)
    {
        var domain = DomainArgument();
        var selector = SelectorOption("Only this selector (default: every key of the domain).");
        var remove = new Command("remove", "Delete a domain's key (or all its keys) from the table and the key store; the next key, if any, signs from then on.") { domain, selector };
        remove.SetAction(async (result, cancellationToken) =>
        {
            var manager = Manager(result);
            var removed = await Refused(() => manager.RemoveAsync(result.GetValue(domain)!, result.GetValue(selector), cancellationToken)).ConfigureAwait(false);
            foreach (var key in removed)
            {
                await output.WriteLineAsync($"Removed {key.Algorithm} key {key.Selector} of {key.Domain}.").ConfigureAwait(false);
            }

            // Queued mail keeps the signatures it was given at arrival, retries included.
            await output.WriteLineAsync("Keep the removed selectors' TXT records published for the pipeline's maximum lifetime (Pipeline:MaxLifetime, 5 days by default): mail still being retried carries their signatures.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return remove;
    }

    private static DkimAlgorithm Algorithm(string value)
    {
        try
        {
            return DkimAlgorithmNames.Parse(value);
        }
        catch (FormatException ex)
        {
            throw CliException.BadInput(ex.Message);
        }
    }

    /// <summary>The manager's refusals, as the CLI's exit codes.</summary>
    private static async Task<T> Refused<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException)
        {
            throw CliException.BadInput(ex.Message);
        }
        catch (KeyNotFoundException ex)
        {
            throw CliException.NotFound(ex.Message);
        }
    }

    private static DkimKeyManager Manager(ParseResult result) =>
        new(CliOptions.Storage(result).DkimKeys, Store(result), TimeProvider.System);

    /// <summary>
    /// The store the keys of the chosen storage belong in: the vault given, the directory given, or the local runner's;
    /// never a guess for Azure (an account in Azure without --key-vault is refused).
    /// </summary>
    private static IDkimKeyStore Store(ParseResult result)
    {
        var vault = result.GetValue(KeyVault);
        var directory = result.GetValue(KeyDirectory);
        if (vault is not null && directory is not null)
        {
            throw CliException.BadInput("Give either --key-vault or --key-directory, not both.");
        }

        if (vault is not null)
        {
            return KeyVaultDkimKeyStore.Create(Uri.TryCreate(vault, UriKind.Absolute, out var uri) ? uri : new Uri($"https://{vault}.vault.azure.net/"));
        }

        if (directory is not null)
        {
            return new DirectoryDkimKeyStore(directory);
        }

        if (result.GetValue(CliOptions.Account) is not null)
        {
            throw CliException.BadInput("The keys of an Azure deployment go into its pipeline vault: give --key-vault <PIPELINE_KEY_VAULT_NAME>.");
        }

        try
        {
            return new DirectoryDkimKeyStore(Path.Combine(RepositoryPaths.FindInfraDirectory(), "..", ".local", "dkim"));
        }
        catch (InvalidOperationException)
        {
            throw CliException.BadInput("Not in the repository, so the local runner's .local/dkim is not found: give --key-directory or --key-vault.");
        }
    }

    /// <param name="signing">Those of <paramref name="keys"/> that sign.</param>
    private static Task WriteKeysAsync(TextWriter output, ParseResult result, IReadOnlyList<DkimKeyEntity> keys, IReadOnlyCollection<DkimKeyEntity> signing) =>
        WriteKeysAsync(output, result, keys, signing, ("DNS record", k => DkimPublicRecord.For(k).ZoneFileLine()));

    /// <param name="more">The columns that follow the key's name, algorithm and role.</param>
    private static Task WriteKeysAsync(
        TextWriter output, ParseResult result, IReadOnlyList<DkimKeyEntity> keys, IReadOnlyCollection<DkimKeyEntity> signing, params (string Header, Func<DkimKeyEntity, object?> Value)[] more) =>
        Output.WriteAsync(
            output,
            result.GetValue(CliOptions.Json),
            keys,
            [
                ("Domain", k => k.Domain),
                ("Selector", k => k.Selector),
                ("Algorithm", k => k.Algorithm),
                ("Signing", k => signing.Contains(k) ? "yes" : "next"),
                .. more,
            ]);

    /// <returns><c>published</c> (the TXT record holds this key), <c>missing</c>, <c>different</c> (it holds another key), or <c>unreachable</c> and why.</returns>
    private static async Task<string> CheckRecordAsync(LookupClient dns, DkimKeyEntity key, CancellationToken cancellationToken)
    {
        var record = DkimPublicRecord.For(key);
        IDnsQueryResponse response;
        try
        {
            response = await dns.QueryAsync(record.Name, QueryType.TXT, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (DnsResponseException ex)
        {
            return $"unreachable: {ex.Code}";
        }

        if (response.HasError)
        {
            return response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain ? "missing" : $"unreachable: {response.ErrorMessage}";
        }

        var expected = DkimPublicRecord.Tags(record.Value);
        var found = response.Answers.TxtRecords()
            .Select(txt => DkimPublicRecord.Tags(string.Concat(txt.Text)))
            .Where(tags => tags.ContainsKey("p"))
            .ToList();
        if (found.Count == 0)
        {
            return "missing";
        }

        // RFC 6376 3.6.1: k= defaults to rsa.
        return found.Any(tags => tags["p"] == expected["p"] && tags.GetValueOrDefault("k", "rsa") == expected["k"]) ? "published" : "different";
    }
}
