using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json.Nodes;
using MtaServerless.Core.Storage;
using MtaServerless.Core.Telemetry;
using MtaServerless.Edge;

namespace MtaServerless.Bicep.Tests;

[Collection(BicepCollection.Name)]
public sealed class EdgeTemplateTests(BicepBuild build)
{
    private static readonly int[] SmtpPorts = [25, 465, 587];

    [Fact]
    public void Group_ExposesSmtpPorts_OnAPublicAddressWithADnsLabel()
    {
        var ipAddress = Group["properties"]!["ipAddress"]!;

        Assert.Equal("Public", ipAddress["type"]!.GetValue<string>());
        Assert.Equal("[parameters('dnsNameLabel')]", ipAddress["dnsNameLabel"]!.GetValue<string>());
        Assert.Equal(SmtpPorts, Ports(ipAddress["ports"]!));
        Assert.Equal(SmtpPorts, Ports(Edge["properties"]!["ports"]!));
        Assert.All(ipAddress["ports"]!.AsArray(), p => Assert.Equal("TCP", p!["protocol"]!.GetValue<string>()));
    }

    /// <summary>The probe checks the file the edge waits for and the port of its MX listener.</summary>
    [Fact]
    public void Group_RestartsAlways_AndProbesTheMxListenerOverTcp_OnceTheCertificateIsThere()
    {
        Assert.Equal("Always", Group["properties"]!["restartPolicy"]!.GetValue<string>());
        var probe = LivenessProbe();

        Assert.Equal(new[] { "/bin/bash", "-c" }, probe[..^1]);
        Assert.Equal($"[ ! -s {CertificateFile()} ] || exec 3<>/dev/tcp/127.0.0.1/{MxPort()}", probe[^1]);
    }

    [Fact]
    public async Task LivenessProbe_Passes_WhileTheCertificateIsNotThere()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        Assert.Equal(0, await RunLivenessProbeAsync(withCertificate: false, UnusedLoopbackPort(), timeout.Token));
    }

    [Fact]
    public async Task LivenessProbe_Fails_WhenTheCertificateIsThereAndNothingListens()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, await RunLivenessProbeAsync(withCertificate: true, UnusedLoopbackPort(), timeout.Token));
    }

    [Fact]
    public async Task LivenessProbe_Passes_WhenTheCertificateIsThereAndTheMxListenerAccepts()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            Assert.Equal(0, await RunLivenessProbeAsync(withCertificate: true, ((IPEndPoint)listener.LocalEndpoint).Port, timeout.Token));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void Listeners_AreBoundOnEveryExposedPort_WithTheEdgesRoles()
    {
        var environment = Environment();
        var listeners = Enumerable.Range(0, SmtpPorts.Length)
            .Select(i => (
                Port: int.Parse(environment[$"Edge__Listeners__{i}__Port"], System.Globalization.CultureInfo.InvariantCulture),
                Role: environment[$"Edge__Listeners__{i}__Role"],
                Address: environment[$"Edge__Listeners__{i}__Address"]))
            .OrderBy(l => l.Port)
            .ToArray();

        Assert.Equal(SmtpPorts, listeners.Select(l => l.Port));
        Assert.Equal(["mx", "submissions", "submission"], listeners.Select(l => l.Role));
        Assert.All(listeners, l => Assert.Equal("0.0.0.0", l.Address));
    }

    /// <summary>Each <c>Edge__*</c> variable binds to a property of <see cref="EdgeOptions"/> (an enum property to one of its values), so a renamed option fails here, not in Azure.</summary>
    [Fact]
    public void EdgeSettings_BindToEdgeOptions()
    {
        foreach (var (key, value) in Environment().Where(e => e.Key.StartsWith(EdgeOptions.SectionName + "__", StringComparison.Ordinal)))
        {
            var type = typeof(EdgeOptions);
            foreach (var segment in key.Split("__").Skip(1).Where(s => !s.All(char.IsAsciiDigit)))
            {
                var property = type.GetProperty(segment, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                Assert.True(property is not null, $"{key}: {type.Name} has no property {segment}.");
                type = property.PropertyType.IsGenericType ? property.PropertyType.GetGenericArguments()[0] : property.PropertyType;
            }

            if (type.IsEnum)
            {
                Assert.True(Enum.TryParse(type, value, ignoreCase: true, out _), $"{key}: '{value}' is not a {type.Name}.");
            }
        }
    }

    [Fact]
    public void Tls_CertificateFromKeyVault_IsWrittenWhereTheEdgeReadsIt()
    {
        // A sidecar, not an init container: Container Instances gives init containers no managed identity.
        Assert.Null(Group["properties"]!["initContainers"]);
        var sidecar = Assert.Single(Group["properties"]!["containers"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "tls-from-key-vault")!;
        var sidecarEnvironment = ArmTemplate.NameValues(sidecar["properties"]!["environmentVariables"]!);
        var pfxPath = Environment()[$"{EdgeOptions.SectionName}__Tls__PfxPath"];

        Assert.Equal(pfxPath, sidecarEnvironment["TLS_FILE"]);
        Assert.Equal("[parameters('identityClientId')]", sidecarEnvironment["AZURE_CLIENT_ID"]);
        Assert.Equal("[parameters('tlsCertificateName')]", sidecarEnvironment["CERTIFICATE_NAME"]);
        Assert.Equal("[parameters('keyVaultName')]", sidecarEnvironment["VAULT_NAME"]);

        // One volume: written by the sidecar, read-only in the edge, the file inside it.
        var written = Assert.Single(sidecar["properties"]!["volumeMounts"]!.AsArray())!;
        var read = Assert.Single(Edge["properties"]!["volumeMounts"]!.AsArray())!;
        Assert.Equal(written["name"]!.GetValue<string>(), read["name"]!.GetValue<string>());
        Assert.Equal(written["mountPath"]!.GetValue<string>(), read["mountPath"]!.GetValue<string>());
        Assert.True(read["readOnly"]!.GetValue<bool>());
        Assert.StartsWith(ArmTemplate.Evaluate(Template, written["mountPath"]!.GetValue<string>()) + "/", CertificateFile(), StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_WaitsForTheCertificate_ThenStartsTheImagesEntryPoint()
    {
        var script = StartScript();

        Assert.Contains($"[ -s \"${EdgeOptions.SectionName}__Tls__PfxPath\" ]", script, StringComparison.Ordinal);
        Assert.EndsWith($"; exec {string.Join(' ', EdgeDockerfile.Load().EntryPoint)}", script, StringComparison.Ordinal);
    }

    /// <summary>
    /// Container Instances maps no ports, so the edge binds 25, 587 and 465 itself, as the image's non-root user. The
    /// image gives CAP_NET_BIND_SERVICE to one file, and this holds the pairing that makes it work: that file is the
    /// edge's native apphost (the kernel ignores capabilities on scripts and on files that are not exec'd), and it is
    /// what both the image's entry point and the group's command exec.
    /// </summary>
    [Fact]
    public void Edge_RunsAsNonRoot_AndExecsTheOneFileGivenCapNetBindService()
    {
        var image = EdgeDockerfile.Load();
        var granted = Assert.Single(image.FileCapabilities);
        var apphost = Path.Combine(AppContext.BaseDirectory, typeof(EdgeOptions).Assembly.GetName().Name!);

        Assert.Equal("cap_net_bind_service=+ep", granted.Capabilities);
        Assert.Equal($"{image.WorkingDirectory}/{Path.GetFileName(apphost)}", granted.File);
        Assert.Equal(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }, File.ReadAllBytes(apphost)[..4]);
        Assert.Equal(new[] { granted.File }, image.EntryPoint);
        Assert.EndsWith($"; exec {granted.File}", StartScript(), StringComparison.Ordinal);

        // Granted while the build is still root; the image then runs as a user that is not.
        Assert.True(granted.Instruction < image.LastIndexOf("USER"), "setcap runs after USER: it would run unprivileged.");
        Assert.NotEmpty(image.User);
        Assert.DoesNotMatch(@"^(root|0)(:|$)", image.User);
    }

    [Fact]
    public void Storage_IsReachedWithTheGroupsOwnIdentity()
    {
        var environment = Environment();

        Assert.Equal("[parameters('identityClientId')]", environment[$"{StorageNames.Connection}__clientId"]);
        Assert.Equal("[parameters('storageBlobServiceUri')]", environment[$"{StorageNames.Connection}__blobServiceUri"]);
        Assert.Equal("[parameters('storageQueueServiceUri')]", environment[$"{StorageNames.Connection}__queueServiceUri"]);
        Assert.Equal("[parameters('storageTableServiceUri')]", environment[$"{StorageNames.Connection}__tableServiceUri"]);
        Assert.Equal("UserAssigned", Group["identity"]!["type"]!.GetValue<string>());
        Assert.Equal(
            "[reference(format('edgeIdentities[{0}]', range(0, parameters('edgeCount'))[copyIndex()])).outputs.clientId.value]",
            ArmTemplate.ModuleParameter(build.Main, "edges", "identityClientId")!.GetValue<string>());
    }

    /// <summary>The Function App takes the same parameter (FunctionAppTemplateTests): a message's trace is kept or dropped whole.</summary>
    [Fact]
    public void TraceSamplingRatio_IsMainsParameter()
    {
        Assert.Equal("[parameters('traceSamplingRatio')]", Environment()[$"{TelemetryOptions.Section}__{nameof(TelemetryOptions.TraceSamplingRatio)}"]);
        Assert.Equal("[parameters('telemetryTraceSamplingRatio')]", ArmTemplate.ModuleParameter(build.Main, "edges", "traceSamplingRatio")!.GetValue<string>());
    }

    [Fact]
    public void Groups_AreAsManyAsTheCountParameter()
    {
        Assert.Equal("[length(range(0, parameters('edgeCount')))]", ArmTemplate.Module(build.Main, "edges")["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("[length(range(0, parameters('edgeCount')))]", ArmTemplate.Module(build.Main, "edgeIdentities")["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("[parameters('image')]", Edge["properties"]!["image"]!.GetValue<string>());
    }

    private JsonObject Template => ArmTemplate.ModuleTemplate(build.Main, "edges");

    private JsonObject Group => Assert.Single(ArmTemplate.ResourcesOfType(Template, "Microsoft.ContainerInstance/containerGroups"));

    private JsonNode Edge => Assert.Single(Group["properties"]!["containers"]!.AsArray(), c => c!["name"]!.GetValue<string>() == "edge")!;

    private Dictionary<string, string> Environment() => ArmTemplate.NameValues(Edge["properties"]!["environmentVariables"]!);

    private static int[] Ports(JsonNode ports) => ports.AsArray().Select(p => p!["port"]!.GetValue<int>()).Order().ToArray();

    private string[] Command(JsonNode command) => command.AsArray().Select(c => ArmTemplate.Evaluate(Template, c!.GetValue<string>())).ToArray();

    private string StartScript() => Command(Edge["properties"]!["command"]!)[^1];

    private string[] LivenessProbe() => Command(Edge["properties"]!["livenessProbe"]!["exec"]!["command"]!);

    private string CertificateFile() => ArmTemplate.Evaluate(Template, Environment()[$"{EdgeOptions.SectionName}__Tls__PfxPath"]);

    private int MxPort()
    {
        var environment = Environment();
        var mx = Enumerable.Range(0, SmtpPorts.Length).Single(i => environment[$"Edge__Listeners__{i}__Role"] == "mx");
        return int.Parse(environment[$"Edge__Listeners__{mx}__Port"], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs the compiled probe with bash as Container Instances would, on loopback: the certificate file and the MX
    /// port in its script become a temporary file (written or not) and <paramref name="port"/>.
    /// </summary>
    private async Task<int> RunLivenessProbeAsync(bool withCertificate, int port, CancellationToken cancellationToken)
    {
        var probe = LivenessProbe();
        var certificateFile = CertificateFile();
        var mxTarget = $"/dev/tcp/127.0.0.1/{MxPort()}";
        Assert.Contains(certificateFile, probe[^1], StringComparison.Ordinal);
        Assert.Contains(mxTarget, probe[^1], StringComparison.Ordinal);

        var directory = Directory.CreateTempSubdirectory("mta-probe-");
        try
        {
            var certificate = Path.Combine(directory.FullName, Path.GetFileName(certificateFile));
            if (withCertificate)
            {
                await File.WriteAllBytesAsync(certificate, [0x30, 0x82], cancellationToken);
            }

            var start = new ProcessStartInfo(probe[0]);
            foreach (var argument in probe[1..^1])
            {
                start.ArgumentList.Add(argument);
            }

            start.ArgumentList.Add(probe[^1]
                .Replace(certificateFile, certificate, StringComparison.Ordinal)
                .Replace(mxTarget, $"/dev/tcp/127.0.0.1/{port}", StringComparison.Ordinal));
            return (await ChildProcess.RunAsync(start, cancellationToken)).ExitCode;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>A loopback port nothing listens on: taken from the system, then released.</summary>
    private static int UnusedLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
