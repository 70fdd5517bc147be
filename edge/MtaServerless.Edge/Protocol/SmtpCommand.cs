using System.Buffers;

namespace MtaServerless.Edge.Protocol;

/// <summary>A parsed command line. <see cref="Argument"/> points into the read buffer and is valid only until the reader advances.</summary>
internal readonly record struct SmtpCommand(SmtpVerb Verb, ReadOnlySequence<byte> Argument);
