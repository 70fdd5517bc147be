using System.Security.Cryptography;
using System.Text;
using MtaServerless.Core.Dkim;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace MtaServerless.Pipeline.Dkim;

/// <summary>
/// A new key pair: the private key as PKCS#8 PEM for the key store, and the public key as the DNS record's
/// <c>p=</c> value. RSA keys are 2048 bits (RFC 8301 asks for at least 1024, and 2048 is what receivers expect today).
/// </summary>
public sealed class DkimKeyMaterial
{
    public const int RsaBits = 2048;

    private DkimKeyMaterial(string privateKeyPem, string publicKey)
    {
        PrivateKeyPem = privateKeyPem;
        PublicKey = publicKey;
    }

    public string PrivateKeyPem { get; }

    /// <summary>Base64 of the RSA SubjectPublicKeyInfo (RFC 6376 3.6.1), or of the raw 32-byte Ed25519 key (RFC 8463 4.2).</summary>
    public string PublicKey { get; }

    public static DkimKeyMaterial Generate(DkimAlgorithm algorithm)
    {
        var random = new SecureRandom();
        AsymmetricCipherKeyPair pair;
        string publicKey;
        if (algorithm == DkimAlgorithm.RsaSha256)
        {
            var generator = new RsaKeyPairGenerator();
            generator.Init(new RsaKeyGenerationParameters(Org.BouncyCastle.Math.BigInteger.ValueOf(65537), random, RsaBits, 100));
            pair = generator.GenerateKeyPair();
            publicKey = Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetDerEncoded());
        }
        else
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(random));
            pair = generator.GenerateKeyPair();
            publicKey = Convert.ToBase64String(((Ed25519PublicKeyParameters)pair.Public).GetEncoded());
        }

        return new DkimKeyMaterial(Pem(pair.Private), publicKey);
    }

    /// <summary>Reads a key the store gave back, for MimeKit and, an RSA key, for the platform's cryptography; the PEM text is dropped after this.</summary>
    /// <exception cref="FormatException">The text holds no private key.</exception>
    public static (AsymmetricKeyParameter Key, RSA? NativeRsa) ReadPrivateKey(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        using var reader = new PemReader(new StringReader(pem));
        var key = reader.ReadObject() switch
        {
            AsymmetricKeyParameter { IsPrivate: true } parameter => parameter,
            AsymmetricCipherKeyPair pair => pair.Private,
            _ => throw new FormatException("The key store's entry holds no private key."),
        };
        if (key is not RsaKeyParameters)
        {
            return (key, null);
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new FormatException("The key store's RSA key cannot be read.");
        }

        return (key, rsa);
    }

    private static string Pem(AsymmetricKeyParameter privateKey)
    {
        var text = new StringBuilder();
        using (var writer = new StringWriter(text))
        {
            var pem = new PemWriter(writer);
            pem.WriteObject(new Pkcs8Generator(privateKey));
        }

        return text.ToString();
    }
}
