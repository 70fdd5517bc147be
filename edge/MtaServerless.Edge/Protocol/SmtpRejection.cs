namespace MtaServerless.Edge.Protocol;

/// <summary>Every reason the edge refuses something; <see cref="SmtpRejections"/> gives each its one reply.</summary>
internal enum SmtpRejection
{
    LineTooLong,
    BareLineBreakInCommand,
    UnknownCommand,
    BadSequence,
    SyntaxError,
    InvalidSender,
    InvalidRecipient,
    UnsupportedParameter,
    BareLineBreakInData,
    StorageFailure,
    Timeout,
    ShuttingDown,
}
