using System.CommandLine;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MtaServerless.Core.Mail;
using MtaServerless.Core.Routing;
using MtaServerless.Pipeline;
using MtaServerless.Pipeline.Dns;

namespace MtaServerless.Cli.Commands;

/// <summary><c>mta routes list | add | set | remove | test</c>: the rows of the routes table.</summary>
internal static class RoutesCommands
{
    public static Command Create(TextWriter output)
    {
        var routes = new Command("routes", "List, add, remove and test the routes that decide where mail for a domain goes.");
        routes.Subcommands.Add(List(output));
        routes.Subcommands.Add(Add(output));
        routes.Subcommands.Add(Set(output));
        routes.Subcommands.Add(Remove(output));
        routes.Subcommands.Add(Test(output));
        return routes;
    }

    private static Command List(TextWriter output)
    {
        var list = new Command("list", "Show every route.");
        list.SetAction(async (result, cancellationToken) =>
        {
            var table = CliOptions.Storage(result).Routes;
            var rows = new List<RouteEntity>();
            await foreach (var row in table.QueryAsync<RouteEntity>(r => r.PartitionKey == RouteEntity.Partition, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
            }

            await WriteRoutesAsync(output, result.GetValue(CliOptions.Json), rows).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Add(TextWriter output)
    {
        var pattern = new Argument<string>("pattern") { Description = "example.com, *.example.com (its subdomains) or * (everything else)." };
        var action = new Option<string>("--action") { Description = "mx, smarthost, mailbox or reject.", Required = true };
        var host = new Option<string?>("--host") { Description = "The smarthost's name or address." };
        var port = new Option<int?>("--port") { Description = "The smarthost's port (default 25, or 465 with --tls implicit)." };
        var tls = new Option<string>("--tls") { Description = "none, opportunistic, required or implicit.", DefaultValueFactory = _ => "opportunistic" };
        var inbound = new Option<bool>("--accepts-inbound") { Description = "Anyone may send mail for these domains (an MX domain); without it only authenticated or trusted clients relay through the route." };
        var credential = new Option<string?>("--credential-ref") { Description = "Name of the smarthost credential in configuration or Key Vault (never the secret)." };
        var rejectText = new Option<string?>("--reject-text") { Description = "The text of the 550 reply for a reject route." };
        var verify = new Option<bool?>("--verify-certificate") { Description = "Check that the smarthost's certificate chains to a trusted root and names the host: true or false (default: true with --credential-ref, false without)." };
        var dmarc = DmarcPolicyOption();
        dmarc.DefaultValueFactory = _ => "headers-only";
        var add = new Command("add", "Add a route, or replace the route with the same pattern.") { pattern, action, host, port, tls, inbound, credential, rejectText, verify, dmarc };
        add.SetAction(async (result, cancellationToken) =>
        {
            RouteEntity row;
            try
            {
                var tlsMode = RouteNames.ParseTls(result.GetValue(tls)!, result.GetValue(pattern)!);
                if (result.GetValue(credential) is { Length: > 0 } && tlsMode is not (TlsMode.Required or TlsMode.Implicit))
                {
                    throw CliException.BadInput("A route with --credential-ref needs --tls required or implicit: with none or opportunistic the credential could be asked for in the clear.");
                }

                var route = new Route(
                    result.GetValue(pattern)!,
                    RouteNames.ParseAction(result.GetValue(action)!, result.GetValue(pattern)!),
                    result.GetValue(host),
                    result.GetValue(port) ?? (tlsMode == TlsMode.Implicit ? 465 : 25),
                    tlsMode,
                    result.GetValue(inbound),
                    result.GetValue(credential),
                    result.GetValue(rejectText),
                    result.GetValue(verify) ?? result.GetValue(credential) is { Length: > 0 },
                    RouteNames.ParseDmarcPolicy(result.GetValue(dmarc)!, result.GetValue(pattern)!));
                row = RouteEntity.FromRoute(route);
                _ = row.ToRoute();
            }
            catch (FormatException ex)
            {
                throw CliException.BadInput(ex.Message);
            }

            await CliOptions.Storage(result).Routes.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            await WriteRoutesAsync(output, result.GetValue(CliOptions.Json), [row]).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return add;
    }

    private static Command Set(TextWriter output)
    {
        var pattern = new Argument<string>("pattern") { Description = "The pattern of the route to change." };
        var dmarc = DmarcPolicyOption();
        dmarc.Required = true;
        var set = new Command("set", "Change a property of an existing route, keeping the others.") { pattern, dmarc };
        set.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedPattern(result.GetValue(pattern)!);
            DmarcPolicy policy;
            try
            {
                policy = RouteNames.ParseDmarcPolicy(result.GetValue(dmarc)!, key);
            }
            catch (FormatException ex)
            {
                throw CliException.BadInput(ex.Message);
            }

            var table = CliOptions.Storage(result).Routes;
            var existing = await table.GetEntityIfExistsAsync<RouteEntity>(RouteEntity.Partition, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!existing.HasValue)
            {
                throw CliException.NotFound($"There is no route for '{key}'.");
            }

            var row = existing.Value!;
            row.DmarcPolicy = RouteNames.ToName(policy);
            // Conditional on the row read: an edit made meanwhile is not overwritten with the values read before it.
            await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            await WriteRoutesAsync(output, result.GetValue(CliOptions.Json), [row]).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return set;
    }

    private static Option<string> DmarcPolicyOption() => new("--dmarc-policy")
    {
        Description = "What a DMARC failure whose domain asks for reject or quarantine does to received mail: headers-only (delivered, the Authentication-Results field says so) or enforce (quarantined, no DSN).",
    };

    private static Command Remove(TextWriter output)
    {
        var pattern = new Argument<string>("pattern") { Description = "The pattern of the route to remove." };
        var remove = new Command("remove", "Remove a route.") { pattern };
        remove.SetAction(async (result, cancellationToken) =>
        {
            var key = NormalizedPattern(result.GetValue(pattern)!);
            var table = CliOptions.Storage(result).Routes;
            var existing = await table.GetEntityIfExistsAsync<RouteEntity>(RouteEntity.Partition, key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!existing.HasValue)
            {
                throw CliException.NotFound($"There is no route for '{key}'.");
            }

            await table.DeleteEntityAsync(RouteEntity.Partition, key, ETag.All, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Removed route '{key}'.").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return remove;
    }

    private static Command Test(TextWriter output)
    {
        var address = new Argument<string>("address") { Description = "A recipient address, e.g. bob@example.com." };
        var nameServers = new Option<string?>("--name-servers") { Description = "DNS servers for MX routes, e.g. 10.0.0.2 or 127.0.0.1:5353 (default: the system's)." };
        var test = new Command("test", "Show which route a recipient hits and the next hops it resolves to.") { address, nameServers };
        test.SetAction(async (result, cancellationToken) =>
        {
            if (!MailboxAddress.TryParse(result.GetValue(address)!, out var mailbox))
            {
                throw CliException.BadInput($"'{result.GetValue(address)}' is not a mail address.");
            }

            var catalog = new RouteCatalog(CliOptions.Storage(result).Routes, TimeProvider.System, NullLogger<RouteCatalog>.Instance);
            var route = (await catalog.GetAsync(cancellationToken).ConfigureAwait(false)).Resolve(mailbox.Domain)
                ?? throw CliException.NotFound($"No route matches {mailbox.Domain}: mail for {mailbox} is refused.");
            var nextHop = route.Action == RouteAction.Mx
                ? await MxHopsAsync(mailbox.Domain, route.Port, result.GetValue(nameServers), cancellationToken).ConfigureAwait(false)
                : NextHop(route, mailbox.Domain);
            await Output.WriteAsync(
                output,
                result.GetValue(CliOptions.Json),
                [route],
                ("Recipient", _ => mailbox.ToString()),
                ("Pattern", r => r.Pattern),
                ("Action", r => RouteNames.ToName(r.Action)),
                ("Next hop", _ => nextHop),
                ("Accepts inbound", r => r.AcceptsInbound)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return test;
    }

    private static string NextHop(Route route, string domain) => route.Action switch
    {
        RouteAction.Smarthost => $"{route.Host}:{route.Port} (tls {RouteNames.ToName(route.Tls)})",
        RouteAction.Mailbox => $"local mailboxes of {domain}",
        _ => $"refused: 550 5.7.1 {route.RejectText ?? "Recipient rejected"}",
    };

    /// <summary>The hosts Deliver would try, in its order, resolved the way Deliver resolves them.</summary>
    private static async Task<string> MxHopsAsync(string domain, int port, string? nameServers, CancellationToken cancellationToken)
    {
        var resolver = new MxResolver(
            Options.Create(new PipelineOptions { NameServers = nameServers ?? string.Empty }),
            NullLogger<MxResolver>.Instance);
        var resolution = await resolver.ResolveAsync(domain, port, cancellationToken).ConfigureAwait(false);
        return resolution.Failure is { } failure
            ? $"none: {failure}"
            : string.Join(", ", resolution.Hosts);
    }

    private static string NormalizedPattern(string pattern)
    {
        try
        {
            return RouteTable.NormalizePattern(pattern);
        }
        catch (FormatException ex)
        {
            throw CliException.BadInput(ex.Message);
        }
    }

    private static Task WriteRoutesAsync(TextWriter output, bool json, IReadOnlyList<RouteEntity> rows) =>
        Output.WriteAsync(
            output,
            json,
            rows,
            ("Pattern", r => r.RowKey),
            ("Action", r => r.Action),
            ("Host", r => r.Host),
            ("Port", r => r.Port),
            ("Tls", r => r.Tls),
            ("Accepts inbound", r => r.AcceptsInbound),
            ("Credential ref", r => r.CredentialRef),
            ("Verify certificate", r => r.VerifiesCertificate()),
            ("DMARC policy", r => r.DmarcPolicy ?? RouteNames.ToName(DmarcPolicy.HeadersOnly)));
}
