using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using MtaServerless.Edge.Tls;
using MtaServerless.Testing;

namespace MtaServerless.Edge.Tests;

/// <summary>STARTTLS, implicit TLS and AUTH on real loopback sockets, with MailKit and by hand.</summary>
public sealed class TlsAndAuthTests(EdgeStorageFixture storage) : IClassFixture<EdgeStorageFixture>
{
    private const string User = EdgeStorageFixture.SubmissionUser;
    private const string Password = EdgeStorageFixture.SubmissionPassword;

    [Fact]
    public async Task Ehlo_Plaintext_OffersStartTlsButNotAuth()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await SmtpWireClient.ConnectAsync(edge.Endpoint);
        await client.ExpectAsync("220 ");

        var ehlo = await client.CommandAsync("EHLO client.example", "250-");

        Assert.Contains("250-STARTTLS", ehlo, StringComparison.Ordinal);
        Assert.DoesNotContain("AUTH", ehlo, StringComparison.Ordinal);
        await client.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(User, Password), "538 5.7.11");
        await client.CommandAsync("NOOP", "250 2.0.0");
    }

    [Fact]
    public async Task StartTls_CommandsPipelinedBehindIt_AreDiscardedAndANewEhloIsRequired()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await SmtpWireClient.ConnectAsync(edge.Endpoint);
        await client.ExpectAsync("220 ");
        await client.CommandAsync("EHLO client.example", "250-");

        // CVE-2011-0411: an attacker in the path appends commands that a vulnerable server runs after the handshake.
        await client.SendAsync("STARTTLS\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<victim@example.com>\r\n");
        await client.ExpectAsync("220 2.0.0");
        await client.StartTlsAsync();

        await client.CommandAsync("MAIL FROM:<a@example.org>", "503 5.5.1");
        var ehlo = await client.CommandAsync("EHLO client.example", "250-");
        Assert.DoesNotContain("STARTTLS", ehlo, StringComparison.Ordinal);
        Assert.Contains("AUTH PLAIN LOGIN", ehlo, StringComparison.Ordinal);
        await client.CommandAsync("RCPT TO:<victim@example.com>", "503 5.5.1");
        await client.CommandAsync("STARTTLS", "503 5.5.1");
        await client.CommandAsync("MAIL FROM:<a@example.org>", "250 2.1.0");
        await client.CommandAsync("RCPT TO:<b@example.com>", "250 2.1.5");
        await client.CommandAsync("DATA", "354");
        await client.CommandAsync("Subject: over TLS\r\n\r\nbody\r\n.", "250 2.0.0");

        var message = Assert.Single(edge.Spool.Committed);
        Assert.Equal("a@example.org", message.Envelope.MailFrom);
        Assert.Equal("ESMTPS", message.Session.Protocol);
        Assert.Equal($"{client.Tls!.SslProtocol switch { System.Security.Authentication.SslProtocols.Tls13 => "TLSv1.3", _ => "TLSv1.2" }} {client.Tls.NegotiatedCipherSuite}", message.Session.Tls);
        Assert.Null(message.Session.AuthUser);
    }

    [Fact]
    public async Task MailKit_StartTlsAndAuthPlainOnSubmission_RecordsIdentityAndTls()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        using (var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await client.ConnectAsync("127.0.0.1", edge.SubmissionEndpoint.Port, SecureSocketOptions.StartTls);
            client.AuthenticationMechanisms.Remove("LOGIN");
            await client.AuthenticateAsync(User, Password);
            await client.SendAsync(Message(EdgeStorageFixture.RelayOnlyDomain));
            await client.DisconnectAsync(quit: true);
        }

        var message = Assert.Single(edge.Spool.Committed);
        Assert.Equal(User, message.Session.AuthUser);
        Assert.Equal("ESMTPSA", message.Session.Protocol);
        Assert.StartsWith("TLSv1.", message.Session.Tls, StringComparison.Ordinal);
        Assert.Equal("submission", message.Session.Listener);
    }

    [Fact]
    public async Task MailKit_SmtpUtf8WithTlsAndAuth_ReceivedSaysUtf8SmtpSa()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        using (var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await client.ConnectAsync("127.0.0.1", edge.SubmissionEndpoint.Port, SecureSocketOptions.StartTls);
            await client.AuthenticateAsync(User, Password);
            var message = Message("anywhere.example");
            message.To.Clear();
            // An internationalized address: MailKit declares SMTPUTF8 for it (RFC 6531).
            message.To.Add(new MailboxAddress("Jösé", "jösé@anywhere.example"));
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        var committed = Assert.Single(edge.Spool.Committed);
        Assert.True(committed.Envelope.SmtpUtf8);
        // RFC 6531 3.7.3: the with keyword names SMTPUTF8, TLS and AUTH.
        Assert.Equal("UTF8SMTPSA", committed.Session.Protocol);
    }

    [Fact]
    public async Task MailKit_ImplicitTlsAndAuthLogin_SendsThroughSubmissions()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        using (var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true })
        {
            await client.ConnectAsync("127.0.0.1", edge.SubmissionsEndpoint.Port, SecureSocketOptions.SslOnConnect);
            client.AuthenticationMechanisms.Remove("PLAIN");
            await client.AuthenticateAsync(User.ToUpperInvariant(), Password);
            await client.SendAsync(Message("anywhere.example"));
            await client.DisconnectAsync(quit: true);
        }

        var message = Assert.Single(edge.Spool.Committed);
        Assert.Equal(User, message.Session.AuthUser);
        Assert.Equal("submissions", message.Session.Listener);
        Assert.Equal("ESMTPSA", message.Session.Protocol);
    }

    [Fact]
    public async Task Submission_MailWithoutAuth_Is530()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true);
        await client.ExpectAsync("220 ");
        await client.CommandAsync("EHLO client.example", "250-");

        await client.CommandAsync("MAIL FROM:<a@example.org>", "530 5.7.0");
        await client.CommandAsync("AUTH LOGIN", "334 VXNlcm5hbWU6");
        await client.CommandAsync(SmtpWireClient.Base64(User), "334 UGFzc3dvcmQ6");
        await client.CommandAsync(SmtpWireClient.Base64(Password), "235 2.7.0");
        await client.CommandAsync("AUTH PLAIN", "503 5.5.1");
        await client.CommandAsync($"MAIL FROM:<{User}>", "250 2.1.0");
    }

    [Fact]
    public async Task Auth_BadCredentials_Get535AfterTheDelayAndRepeatedFailuresEndTheSession()
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true);
        await client.ExpectAsync("220 ");
        await client.CommandAsync("EHLO client.example", "250-");

        var watch = Stopwatch.StartNew();
        await client.CommandAsync("AUTH PLAIN " + SmtpWireClient.Plain(User, "wrong"), "535 5.7.8");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(150), $"535 came after {watch.Elapsed}");
        await client.CommandAsync("AUTH PLAIN", "334");
        await client.CommandAsync(SmtpWireClient.Plain("nobody@example.org", Password), "535 5.7.8");
        await client.SendAsync("AUTH LOGIN " + SmtpWireClient.Base64(EdgeStorageFixture.DisabledUser) + "\r\n");
        await client.ExpectAsync("334 UGFzc3dvcmQ6");
        await client.SendAsync(SmtpWireClient.Base64(Password) + "\r\n");
        await client.ExpectAsync("535 5.7.8");
        await client.ExpectAsync("421 4.7.0");
        await client.ExpectClosedAsync();
    }

    [Theory]
    [InlineData("AUTH CRAM-MD5", "504 5.5.4")]
    [InlineData("AUTH PLAIN not-base64!", "501 5.5.2")]
    [InlineData("AUTH PLAIN " + "YQBiAGM=", "535 5.7.8")]
    public async Task Auth_BadRequests_GetPreciseReplies(string command, string expected)
    {
        await using var edge = await EdgeServer.StartAsync(storage);
        await using var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true);
        await client.ExpectAsync("220 ");
        await client.CommandAsync("EHLO client.example", "250-");

        await client.CommandAsync(command, expected);
        await client.CommandAsync("AUTH PLAIN", "334");
        await client.CommandAsync("*", "501 5.0.0");
        await client.CommandAsync("NOOP", "250 2.0.0");
    }

    [Fact]
    public async Task Certificate_FilesReplaced_NewConnectionsGetTheNewCertificate()
    {
        var directory = Directory.CreateTempSubdirectory("mta-edge-cert-");
        try
        {
            var certificate = Path.Combine(directory.FullName, "edge.crt");
            var key = Path.Combine(directory.FullName, "edge.key");
            DevelopmentCertificate.WritePem(certificate, key, "first.test");
            await using var edge = await EdgeServer.StartAsync(storage, settings: new Dictionary<string, string?>
            {
                ["Edge:Tls:CertificatePath"] = certificate,
                ["Edge:Tls:KeyPath"] = key,
            });
            Assert.Equal("CN=first.test", await ServerSubjectAsync(edge));

            DevelopmentCertificate.WritePem(certificate, key, "second.test");
            File.SetLastWriteTimeUtc(certificate, DateTime.UtcNow.AddSeconds(1));

            Assert.Equal("CN=second.test", await ServerSubjectAsync(edge));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void DevelopmentCertificate_WritesPemWithKeyAndServerNames()
    {
        var directory = Directory.CreateTempSubdirectory("mta-edge-cert-");
        try
        {
            var certificatePath = Path.Combine(directory.FullName, "dev.crt");
            var keyPath = Path.Combine(directory.FullName, "dev.key");

            DevelopmentCertificate.WritePem(certificatePath, keyPath, "mta.localhost");

            using var certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            Assert.True(certificate.HasPrivateKey);
            Assert.True(certificate.MatchesHostname("mta.localhost"));
            Assert.True(certificate.MatchesHostname("localhost"));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task<string> ServerSubjectAsync(EdgeServer edge)
    {
        await using var client = await SmtpWireClient.ConnectAsync(edge.SubmissionsEndpoint, implicitTls: true);
        await client.ExpectAsync("220 ");
        return client.Tls!.RemoteCertificate!.Subject;
    }

    private static MimeMessage Message(string recipientDomain)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Sender", User));
        message.To.Add(new MailboxAddress("Someone", "someone@" + recipientDomain));
        message.Subject = "Submitted";
        message.Body = new TextPart("plain") { Text = "Hello.\n" };
        return message;
    }
}
