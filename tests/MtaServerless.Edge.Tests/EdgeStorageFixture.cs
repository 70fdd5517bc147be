using Azure.Data.Tables;
using MtaServerless.Core.Routing;
using MtaServerless.Core.Users;
using MtaServerless.Edge.Tls;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>
/// A private Azurite for one test class, seeded with the routes and users the edge tests talk about, and a
/// development certificate for the TLS listeners.
/// </summary>
public sealed class EdgeStorageFixture : IAsyncLifetime
{
    /// <summary>A smarthost route that accepts inbound mail: anyone may send to it.</summary>
    public const string InboundDomain = "example.com";

    /// <summary>A smarthost route for relaying only: authenticated or trusted clients.</summary>
    public const string RelayOnlyDomain = "relay-only.test";

    /// <summary>Local mailboxes: only the users table's addresses exist.</summary>
    public const string MailboxDomain = "mail.test";

    public const string RejectDomain = "retired.test";
    public const string RejectText = "This domain no longer receives mail";

    public const string MailboxUser = "alice@mail.test";
    public const string SubmissionUser = "sender@example.org";
    public const string SubmissionPassword = "correct horse battery staple";
    public const string DisabledUser = "gone@mail.test";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mta-edge-tests-" + Guid.NewGuid().ToString("N"));

    public AzuriteFixture Azurite { get; } = new();

    public string CertificatePath => Path.Combine(_directory, "edge.crt");

    public string KeyPath => Path.Combine(_directory, "edge.key");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        DevelopmentCertificate.WritePem(CertificatePath, KeyPath, EdgeServer.HostName);
        await Azurite.InitializeAsync();
        Route[] routes =
        [
            new(InboundDomain, RouteAction.Smarthost, "relay.example.net", AcceptsInbound: true),
            new("example.net", RouteAction.Smarthost, "relay.example.net", AcceptsInbound: true),
            new("bücher.test", RouteAction.Smarthost, "relay.example.net", AcceptsInbound: true),
            new(RelayOnlyDomain, RouteAction.Smarthost, "relay.example.net"),
            new(MailboxDomain, RouteAction.Mailbox, AcceptsInbound: true),
            new(RejectDomain, RouteAction.Reject, AcceptsInbound: true, RejectText: RejectText),
            new(RouteTable.DefaultPattern, RouteAction.Mx),
        ];
        foreach (var route in routes)
        {
            await Azurite.Storage.Routes.UpsertEntityAsync(RouteEntity.FromRoute(route), TableUpdateMode.Replace);
        }

        UserAccount[] users =
        [
            new(MailboxUser, null, Mailbox: true),
            new(SubmissionUser, PasswordHasher.Hash(SubmissionPassword), Mailbox: false),
            new(DisabledUser, PasswordHasher.Hash(SubmissionPassword), Mailbox: true, Disabled: true),
        ];
        foreach (var user in users)
        {
            await Users.UpsertEntityAsync(UserEntity.FromAccount(user), TableUpdateMode.Replace);
        }
    }

    public TableClient Users => Azurite.Storage.Tables.GetTableClient(Core.Storage.StorageNames.UsersTable);

    public async Task DisposeAsync()
    {
        await Azurite.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
