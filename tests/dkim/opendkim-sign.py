"""Signs the message on standard input with libopendkim (OpenDKIM's own library, through ctypes) and writes it out.

    opendkim-sign.py KEYFILE SELECTOR DOMAIN

rsa-sha256, relaxed/relaxed, the library's default header fields. opendkim-testmsg calls the same dkim_sign() but
always asks for rsa-sha1; this asks for rsa-sha256.
"""
import ctypes
import sys

SIMPLE, RELAXED = 0, 1
RSA_SHA256 = 1
OK = 0


def library():
    lib = ctypes.CDLL("libopendkim.so.11")
    lib.dkim_init.restype = ctypes.c_void_p
    lib.dkim_init.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.dkim_sign.restype = ctypes.c_void_p
    lib.dkim_sign.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                              ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ssize_t,
                              ctypes.POINTER(ctypes.c_int)]
    lib.dkim_chunk.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.dkim_eom.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_bool)]
    lib.dkim_getsighdr_d.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_size_t)]
    lib.dkim_getresultstr.restype = ctypes.c_char_p
    lib.dkim_free.argtypes = [ctypes.c_void_p]
    lib.dkim_close.argtypes = [ctypes.c_void_p]
    return lib


def main(keyfile, selector, domain):
    message = sys.stdin.buffer.read()
    with open(keyfile, "rb") as key:
        secret = key.read()
    lib = library()
    handle = lib.dkim_init(None, None)
    status = ctypes.c_int(OK)
    dkim = lib.dkim_sign(handle, b"test", None, secret, selector.encode(), domain.encode(), RELAXED, RELAXED,
                         RSA_SHA256, -1, ctypes.byref(status))
    if not dkim:
        print("dkim_sign: %s" % lib.dkim_getresultstr(status.value).decode(), file=sys.stderr)
        return 1
    testkey = ctypes.c_bool(False)
    header, length = ctypes.c_void_p(), ctypes.c_size_t()
    for step, result in (
            ("dkim_chunk", lambda: lib.dkim_chunk(dkim, message, len(message))),
            ("dkim_chunk (end)", lambda: lib.dkim_chunk(dkim, None, 0)),
            ("dkim_eom", lambda: lib.dkim_eom(dkim, ctypes.byref(testkey))),
            ("dkim_getsighdr_d", lambda: lib.dkim_getsighdr_d(dkim, len("DKIM-Signature"), ctypes.byref(header),
                                                              ctypes.byref(length)))):
        code = result()
        if code != OK:
            print("%s: %s" % (step, lib.dkim_getresultstr(code).decode()), file=sys.stderr)
            return 1
    signature = ctypes.string_at(header, length.value)
    sys.stdout.buffer.write(b"DKIM-Signature: " + signature + b"\r\n" + message)
    lib.dkim_free(dkim)
    lib.dkim_close(handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
