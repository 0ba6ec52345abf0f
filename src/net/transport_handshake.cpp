// Transport: the authenticated handshake of each connection (Hello, confirm), incoming frames,
// and what happens when a connection is established or closes.
#include "net/transport_impl.hpp"

#include <algorithm>

namespace rampart::net {

void Transport::Impl::begin_handshake(const std::shared_ptr<PeerConn>& pc) {
  handshaking.insert(pc);
  std::weak_ptr<PeerConn> wpc = pc;
  auto w = weak_from_this();
  Connection::Handlers h;
  h.on_frame = [w, wpc](ByteView f) {
    auto me = w.lock();
    auto pc = wpc.lock();
    if (me && pc && !me->stopped) me->on_frame(pc, f);
  };
  h.on_writable = [w, wpc]() {
    auto me = w.lock();
    auto pc = wpc.lock();
    if (!me || !pc || me->stopped || pc->state != PeerConn::State::established) return;
    Peer* p = me->find(pc->peer);
    if (p && p->conn == pc) me->pump(*p);
  };
  h.on_close = [w, wpc](const std::string&) {
    auto me = w.lock();
    auto pc = wpc.lock();
    if (me && pc && !me->stopped) me->on_closed(pc);
  };
  pc->conn->start(std::move(h));
  pc->conn->send_frame(pc->hs->hello());
  pc->conn->flush();
  pc->conn->set_deadline(opts.handshake_timeout);
}

void Transport::Impl::bad_frame(PeerConn& pc, const std::string& why) {
  CounterSet::add(counters->bad_frames);
  pc.conn->close(why);
}

bool Transport::Impl::seal_frame(PeerConn& pc, ByteView plaintext) { return pc.conn->send_sealed(*pc.channel, plaintext); }

void Transport::Impl::on_frame(const std::shared_ptr<PeerConn>& pc, ByteView frame) {
  switch (pc->state) {
    case PeerConn::State::hello: {
      auto hello = crypto::decode_hello(frame);
      if (!hello) return bad_frame(*pc, hello.error().message);
      Peer* p = find(hello->node);
      if (pc->outbound) {
        if (hello->node != pc->peer) return pc->conn->close("dialed peer answered with another id");
      } else {
        // Only lower ids dial us; anything else is refused (one connection per pair).
        if (!p || hello->node >= self) return pc->conn->close("hello from a node that may not dial us");
        pc->peer = hello->node;
        pc->peer_known = true;
      }
      auto ch = pc->hs->finish(frame, p->info.static_pk);
      if (!ch) return bad_frame(*pc, ch.error().message);
      pc->channel.emplace(std::move(*ch));
      pc->hs.reset();
      pc->state = PeerConn::State::confirm;
      if (seal_frame(*pc, crypto::confirm_plaintext())) pc->conn->flush();
      return;
    }
    case PeerConn::State::confirm: {
      auto pt = pc->channel->open(frame);
      if (!pt) return bad_frame(*pc, pt.error().message);
      auto want = crypto::confirm_plaintext();
      if (!std::equal(pt->begin(), pt->end(), want.begin(), want.end())) {
        return bad_frame(*pc, "bad confirm message");
      }
      established(pc);
      return;
    }
    case PeerConn::State::established: {
      auto pt = pc->channel->open(frame);
      if (!pt) return bad_frame(*pc, pt.error().message);
      if (on_msg) on_msg(pc->peer, std::move(*pt));
      return;
    }
  }
}

void Transport::Impl::established(const std::shared_ptr<PeerConn>& pc) {
  pc->state = PeerConn::State::established;
  pc->conn->clear_deadline();
  pc->conn->decoder().set_max_frame(opts.max_frame);
  handshaking.erase(pc);
  uncount_pending(*pc);
  Peer& p = *find(pc->peer);
  if (p.conn && p.conn != pc) {
    auto old = p.conn;
    p.conn.reset();
    old->conn->close("replaced by a newer connection");
  }
  if (p.outbound == pc) p.outbound.reset();
  p.conn = pc;
  p.up = true;
  p.backoff = opts.backoff_initial;
  CounterSet::add(counters->handshakes);
  pump(p);
}

void Transport::Impl::on_closed(const std::shared_ptr<PeerConn>& pc) {
  handshaking.erase(pc);
  uncount_pending(*pc);
  if (pc->state != PeerConn::State::established) CounterSet::add(counters->handshake_failures);
  if (!pc->peer_known) return;
  Peer* p = find(pc->peer);
  if (!p) return;
  bool ours = false;
  if (p->conn == pc) {
    p->conn.reset();
    p->up = false;
    ours = true;
  }
  if (p->outbound == pc) {
    p->outbound.reset();
    ours = true;
  }
  // Only the dialing side reconnects; the other side waits for the next inbound connection.
  if (ours && pc->outbound) schedule_reconnect(*p);
}

}  // namespace rampart::net
