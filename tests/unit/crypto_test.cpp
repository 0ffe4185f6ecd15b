// Known-answer tests for the hashing helpers (FIPS 180-2, RFC 1321, RFC 4231 vectors).
#include <gtest/gtest.h>

#include <string>

#include "common/crypto/hex.h"
#include "common/crypto/hmac.h"
#include "common/crypto/md5.h"
#include "common/crypto/sha256.h"

namespace upfleet::crypto {
namespace {

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), kEmptySha256Hex);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalMatchesOneShotAcrossChunkBoundaries) {
  std::string data(1'000'003, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  Sha256 hasher;
  for (size_t pos = 0; pos < data.size(); pos += 4097) {
    hasher.update(std::string_view(data).substr(pos, 4097));
  }
  EXPECT_EQ(hasher.finish_hex(), sha256_hex(data));
}

TEST(Sha256, MillionAs) {
  Sha256 hasher;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) hasher.update(chunk);
  EXPECT_EQ(hasher.finish_hex(),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ResetStartsOver) {
  Sha256 hasher;
  hasher.update("garbage");
  (void)hasher.finish();
  hasher.reset();
  hasher.update("abc");
  EXPECT_EQ(hasher.finish_hex(), sha256_hex("abc"));
}

TEST(Md5, KnownAnswersInBase64AndHex) {
  EXPECT_EQ(md5_base64(std::string_view("")), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("The quick brown fox jumps over the lazy dog"),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(md5_base64(std::string_view("The quick brown fox jumps over the lazy dog")),
            "nhB9nTcrtoJr2B01QqQZ1g==");
}

TEST(Md5, IncrementalMatchesOneShot) {
  Md5 hasher;
  hasher.update("The quick brown ");
  hasher.update("fox jumps over the lazy dog");
  EXPECT_EQ(hasher.finish_base64(), "nhB9nTcrtoJr2B01QqQZ1g==");
}

TEST(HmacSha256, Rfc4231Cases) {
  // Test case 2: short key.
  EXPECT_EQ(to_hex(hmac_sha256(as_bytes("Jefe"), "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: key longer than the block size.
  const std::string long_key(131, '\xaa');
  EXPECT_EQ(to_hex(hmac_sha256(as_bytes(long_key),
                               "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hex, RoundTripAndRejects) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(to_hex(bytes), "0001abff");
  const auto decoded = from_hex("0001ABff");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(to_hex(*decoded), "0001abff");
  EXPECT_FALSE(from_hex("abc").has_value());
  EXPECT_FALSE(from_hex("zz").has_value());
}

TEST(Base64, PaddingCases) {
  EXPECT_EQ(to_base64(as_bytes("")), "");
  EXPECT_EQ(to_base64(as_bytes("f")), "Zg==");
  EXPECT_EQ(to_base64(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(to_base64(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(to_base64(as_bytes("foobar")), "Zm9vYmFy");
}

}  // namespace
}  // namespace upfleet::crypto
