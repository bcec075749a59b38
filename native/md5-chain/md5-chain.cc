// The one hot loop of a DKEK share file's key derivation, EVP_BytesToKey with
// MD5 and 10,000,000 iterations (main/keydomain/evp-bytes-to-key.ts): the
// 16-byte digest replaced by its own MD5, `count` times, in OpenSSL's MD5.
// Everything else of the derivation (password, salt, the first MD5 of each
// block, progress, cancel) stays in JavaScript; the caller runs this in chunks
// so that progress and cancel still work between them.
//
// MD5() rather than EVP_Digest with a pre-fetched EVP_MD: measured here with
// OpenSSL 3.0, MD5() costs 0.11 µs a call, EVP_Digest 0.18 µs and a reused
// EVP_MD_CTX 0.15 µs (each call of the EVP paths goes through the provider
// dispatch). MD5() is also the one entry point with the same signature in
// OpenSSL 1.1, OpenSSL 3 and BoringSSL, which matters for where the symbol is
// bound (binding.gyp says why).
//
// The digest is the only secret that reaches this code (never the password or
// the salt), and that is acceptable: the addon runs inside the process whose
// JavaScript already holds the password and every link of the chain, so it
// sees nothing new, and it keeps nothing. It re-hashes the caller's own
// buffer in place (no copy), OpenSSL's MD5() wipes the MD5_CTX it keeps on the
// stack before it returns, and nothing is logged or outlives the call.
#define OPENSSL_SUPPRESS_DEPRECATED  // MD5() is deprecated in the OpenSSL 3 API, and still its fastest MD5.
#include <openssl/md5.h>

#include <napi.h>

#include <cmath>
#include <cstdint>

namespace {

// rehash(digest: Uint8Array(16), count: integer 0..2^32-1): digest := MD5(digest), count times, in place.
Napi::Value Rehash(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsTypedArray() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "rehash(digest: Uint8Array, count: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray array = info[0].As<Napi::TypedArray>();
  if (array.TypedArrayType() != napi_uint8_array || array.ElementLength() != MD5_DIGEST_LENGTH) {
    Napi::TypeError::New(env, "the digest must be a Uint8Array of 16 bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double count = info[1].As<Napi::Number>().DoubleValue();
  if (!(count >= 0 && count <= 4294967295.0) || std::floor(count) != count) {
    Napi::RangeError::New(env, "the count must be a whole number from 0 to 2^32 - 1").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  unsigned char* digest = array.As<Napi::Uint8Array>().Data();
  // In place is safe: MD5() reads all 16 bytes into its context before it writes the output.
  for (uint32_t i = 0, n = static_cast<uint32_t>(count); i < n; i++) MD5(digest, MD5_DIGEST_LENGTH, digest);
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("rehash", Napi::Function::New(env, Rehash, "rehash"));
  return exports;
}

}  // namespace

NODE_API_MODULE(md5_chain, Init)
