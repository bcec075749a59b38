# OpenSSL's MD5 for the share-file key derivation (md5-chain.cc), built by
# scripts/build-native.mjs at `npm ci`; where it cannot be built the
# derivation runs in JavaScript and says so.
#
# Which OpenSSL: the system's libcrypto (libssl-dev, scripts/setup.sh), linked
# by name, not Node's own OpenSSL symbols. Node exports its bundled OpenSSL to
# addons, but Electron exports no OpenSSL symbols at all (it is built with
# BoringSSL; electron/electron#13176, and the unmerged #16243): an addon that
# leaned on Node's symbols would fail to load in the packaged app with
# "undefined symbol: MD5". With libcrypto.so.3 as a needed library, the
# symbol is always there. Under Node, ELF lookup finds the executable's own
# exported MD5 first and binds to that instead; under Electron it binds to
# libcrypto. Either is fine because the addon calls only MD5(), whose
# signature and result are the same in every OpenSSL and BoringSSL.
#
# Node-API (node-addon-api) keeps one build good for Node and for Electron:
# no rebuild against Electron's headers is needed (electron-builder.yml).
# Linux only for now: Windows and macOS have no system libcrypto to link, and
# there the derivation takes the JavaScript path.
{
  'targets': [
    {
      'target_name': 'md5_chain',
      'sources': ['md5-chain.cc'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
      'cflags_cc': ['-O2'],
      'conditions': [
        ['OS=="linux"', { 'libraries': ['-lcrypto'] }],
      ],
    },
  ],
}
