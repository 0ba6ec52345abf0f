// A replica started on a damaged data folder must refuse to start with a clear error rather
// than serve wrong state. Each test builds a good ledger, damages it the way a disk, an operator
// or an attacker could, and asserts that open() fails and says why.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <filesystem>
#include <fstream>

#include "ledger/fixture.hpp"
#include "ledger/store.hpp"
#include "ledger/verify.hpp"

using namespace rampart;
using namespace rampart::ledger;
using rampart::ledger::testing::append_next;
using rampart::ledger::testing::Chain;
using rampart::ledger::testing::ckpt_of;
using rampart::ledger::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Six final blocks, a checkpoint at 4, flushed to SST files and closed.
void build(const std::string& path, Chain& c) {
  auto s = Store::open(path, c.config);
  ASSERT_TRUE(s.ok()) << s.error().message;
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(append_next(**s, c).ok());
  CheckpointRecord cp = ckpt_of(c.blocks[4], {{0, {1}}, {1, {2}}, {2, {3}}});
  ASSERT_TRUE((*s)->put_checkpoint(cp, to_bytes("snapshot")).ok());
  ASSERT_TRUE((*s)->flush().ok());
}

std::string key_of(uint64_t k) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(k >> (56 - 8 * i));
  return s;
}

// Edit the raw RocksDB behind the store, bypassing every check.
template <typename F>
void raw_edit(const std::string& path, F f) {
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const char* n : {"default", "blocks", "batches", "snapshot", "checkpoint"}) {
    descs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> h;
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, descs, &h, &db).ok());
  f(*db, h);
  for (auto* x : h) db->DestroyColumnFamilyHandle(x);
  delete db;
}

std::string open_error(const std::string& path, const Bytes& config) {
  auto s = Store::open(path, config);
  return s.ok() ? std::string("(opened)") : s.error().message;
}

std::vector<fs::path> files_with(const std::string& dir, const std::string& part) {
  std::vector<fs::path> out;
  for (auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().find(part) != std::string::npos) out.push_back(e.path());
  }
  return out;
}

#define EXPECT_CONTAINS(hay, needle) EXPECT_NE((hay).find(needle), std::string::npos) << (hay)

}  // namespace

TEST(Corruption, GarbageBlockValue) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Put({}, h[1], key_of(3), "garbage").ok()); });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "block 3: malformed block");
}

TEST(Corruption, AlteredBlockBreaksTheChain) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  Block b = c.blocks[2];
  b.state_digest[0] ^= 1;  // well-formed but different: block 3 no longer links to it
  raw_edit(d.path(), [&](rocksdb::DB& db, auto& h) {
    Bytes enc = encode_block(b);
    ASSERT_TRUE(db.Put({}, h[1], key_of(2), std::string(enc.begin(), enc.end())).ok());
  });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "block 3: broken hash link to block 2");
}

TEST(Corruption, AlteredBatchAboveCheckpoint) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Put({}, h[2], key_of(5), "forged").ok()); });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "block 5: stored batch does not match its digest");
}

TEST(Corruption, MissingBlockInTheMiddle) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Delete({}, h[1], key_of(2)).ok()); });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "block 2 missing");
}

TEST(Corruption, MissingLastBlock) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Delete({}, h[1], key_of(6)).ok()); });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "metadata says last block is 6 but blocks end at 5");
}

TEST(Corruption, MissingSnapshotOrMetadata) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Delete({}, h[3], "last").ok()); });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "checkpoint 4 has no state snapshot");
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Delete({}, h[0], "meta").ok()); });
  EXPECT_CONTAINS(open_error(d.path(), c.config), "metadata record missing");
}

TEST(Corruption, DeletedCurrentFile) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  ASSERT_TRUE(fs::remove(fs::path(d.path()) / "CURRENT"));
  std::string e = open_error(d.path(), c.config);
  EXPECT_CONTAINS(e, "damaged or incomplete data folder, refusing to open");
  // And it did not quietly create a fresh ledger over the damaged one.
  EXPECT_FALSE(fs::exists(fs::path(d.path()) / "CURRENT"));
}

TEST(Corruption, DeletedManifest) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  auto m = files_with(d.path(), "MANIFEST-");
  ASSERT_FALSE(m.empty());
  for (auto& p : m) fs::remove(p);
  EXPECT_CONTAINS(open_error(d.path(), c.config), "damaged or incomplete data folder");
}

TEST(Corruption, TruncatedSst) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  auto ssts = files_with(d.path(), ".sst");
  ASSERT_FALSE(ssts.empty());
  for (auto& p : ssts) {
    TempDir copy;
    fs::copy(d.path(), copy.path(), fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    fs::path victim = fs::path(copy.path()) / p.filename();
    fs::resize_file(victim, fs::file_size(victim) / 2);
    EXPECT_CONTAINS(open_error(copy.path(), c.config), "refusing to open") << " truncating " << p.filename();
  }
}

TEST(Corruption, DeletedSst) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  auto ssts = files_with(d.path(), ".sst");
  ASSERT_FALSE(ssts.empty());
  fs::remove(ssts.front());
  EXPECT_CONTAINS(open_error(d.path(), c.config), "refusing to open");
}

TEST(Corruption, FlippedByteInsideSst) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  // Flip one byte in the middle of every SST: RocksDB's block checksums must catch it when the
  // open-time chain walk reads the blocks, batches, snapshot or metadata.
  for (auto& p : files_with(d.path(), ".sst")) {
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(20);
    char ch = 0;
    f.read(&ch, 1);
    f.seekp(20);
    ch ^= 0x5a;
    f.write(&ch, 1);
  }
  std::string e = open_error(d.path(), c.config);
  EXPECT_NE(e, "(opened)");
  EXPECT_CONTAINS(e, "ledger at ");
}

// What open() cannot see without the group key or without re-reading old batches, offline
// verification finds, naming the block.
TEST(Corruption, ForgedProofFoundByVerify) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  Block b = c.blocks[3];
  b.proof = Bytes(b.proof.size(), 0x11);
  raw_edit(d.path(), [&](rocksdb::DB& db, auto& h) {
    Bytes enc = encode_block(b);
    ASSERT_TRUE(db.Put({}, h[1], key_of(3), std::string(enc.begin(), enc.end())).ok());
  });
  EXPECT_EQ(open_error(d.path(), c.config), "(opened)");  // the store holds no keys
  auto r = verify_ledger_at(d.path(), c.tv(), c.config);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.error().message, "block 3: proof of execution does not verify");
}

TEST(Corruption, OldBatchFoundByVerify) {
  TempDir d;
  Chain c;
  build(d.path(), c);
  raw_edit(d.path(), [](rocksdb::DB& db, auto& h) { ASSERT_TRUE(db.Put({}, h[2], key_of(2), "forged").ok()); });
  // Below the checkpoint (4): the default open re-hashes only newer batches...
  EXPECT_EQ(open_error(d.path(), c.config), "(opened)");
  // ...but full checks and offline verification re-hash every batch.
  OpenOptions all;
  all.check_all_batches = true;
  auto s = Store::open(d.path(), c.config, all);
  ASSERT_FALSE(s.ok());
  EXPECT_CONTAINS(s.error().message, "block 2: stored batch does not match its digest");
  auto r = verify_ledger_at(d.path(), c.tv(), c.config);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.error().message, "block 2: stored batch does not match its digest");
}
