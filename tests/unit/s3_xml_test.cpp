#include "common/s3/s3_xml.h"

#include <gtest/gtest.h>

namespace upfleet::s3::xml {
namespace {

constexpr std::string_view kListParts = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><Key>a &amp; b.txt</Key><UploadId>XXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
  <PartNumberMarker>1</PartNumberMarker><NextPartNumberMarker>3</NextPartNumberMarker>
  <MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
  <Part><PartNumber>2</PartNumber><ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</ETag><Size>10485760</Size></Part>
  <Part>
    <PartNumber>3</PartNumber><ETag>"aaaa18db4cc2f85cedef654fccc4a4x8"</ETag><Size>10485760</Size>
  </Part>
</ListPartsResult>)";

TEST(Xml, ChildTextDecodesEntities) {
  EXPECT_EQ(child_text(kListParts, "Key"), "a & b.txt");
  EXPECT_EQ(child_text(kListParts, "IsTruncated"), "true");
  EXPECT_EQ(child_text(kListParts, "NextPartNumberMarker"), "3");
  EXPECT_EQ(child_text(kListParts, "Missing"), std::nullopt);
}

TEST(Xml, NamesMustMatchWholly) {
  // "Part" must not match <PartNumberMarker>, nor "Key" <KeyMarker>.
  EXPECT_EQ(child_text("<KeyMarker>x</KeyMarker><Key>y</Key>", "Key"), "y");
  const auto parts = elements(kListParts, "Part");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(child_text(parts[0], "ETag"), "\"7778aef83f66abc1fa1e8477f296d394\"");
  EXPECT_EQ(child_text(parts[1], "PartNumber"), "3");
}

TEST(Xml, AttributesSelfClosingAndCdata) {
  EXPECT_EQ(child_text("<A x=\"1\">v</A>", "A"), "v");
  EXPECT_EQ(child_text("<A/><B>1</B>", "A"), "");
  EXPECT_EQ(child_text("<A><![CDATA[<raw> & stuff]]></A>", "A"), "<raw> & stuff");
}

TEST(Xml, NumericReferencesBecomeUtf8) {
  EXPECT_EQ(decode_text("&#65;&#x42;&#x1234;&#128512;"), "AB\xe1\x88\xb4\xf0\x9f\x98\x80");
  EXPECT_EQ(decode_text("&#0;&#xD800;&bogus;& alone"), "&#0;&#xD800;&bogus;& alone");
}

TEST(Xml, MalformedInputFindsNothingAndDoesNotCrash) {
  for (std::string_view junk : {"", "<", "<A", "<A>", "<A>unterminated", "</A>", "<A x=", "&",
                                "<A>&#x;</A>", "<A><A></A>"}) {
    (void)child_text(junk, "A");
    (void)elements(junk, "A");
    (void)decode_text(junk);
  }
  EXPECT_EQ(child_text("<A>unterminated", "A"), std::nullopt);
  EXPECT_TRUE(elements("<A", "A").empty());
}

TEST(Xml, EscapeRoundTrips) {
  const std::string text = "\"quoted\" <tag> & 'apos'";
  EXPECT_EQ(escape(text), "&quot;quoted&quot; &lt;tag&gt; &amp; &apos;apos&apos;");
  EXPECT_EQ(decode_text(escape(text)), text);
}

}  // namespace
}  // namespace upfleet::s3::xml
