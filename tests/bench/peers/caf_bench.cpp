// SPDX-License-Identifier: MIT
// caf_bench.cpp: the actor_bench scenarios on CAF 0.17, same output format.
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "caf/all.hpp"

using namespace caf;
using go_atom = atom_constant<atom("go")>;
using ping_atom = atom_constant<atom("ping")>;

static uint64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

static void wait_for(std::atomic<long>& v, long target) {
  while (v.load() < target)
    std::this_thread::sleep_for(std::chrono::microseconds(50));
}

// --- one-way -----------------------------------------------------------------
static behavior receiver(event_based_actor* self, std::atomic<long>* got) {
  return {[=](int) { got->fetch_add(1, std::memory_order_relaxed); }};
}

static behavior sender(event_based_actor* self, actor to, long n) {
  return {[=](go_atom) {
    for (long i = 0; i < n; i++)
      self->send(to, 1);
  }};
}

static void oneway(actor_system& sys, int pairs, long n) {
  std::vector<std::atomic<long>> got(pairs);
  std::vector<actor> senders;
  for (int i = 0; i < pairs; i++) {
    got[i] = 0;
    auto r = sys.spawn(receiver, &got[i]);
    senders.push_back(sys.spawn(sender, r, n));
  }
  uint64_t t0 = now_ns();
  for (auto& s : senders)
    anon_send(s, go_atom::value);
  for (int i = 0; i < pairs; i++)
    wait_for(got[i], n);
  double s = (now_ns() - t0) / 1e9;
  printf("bench=local_oneway impl=caf pairs=%d msgs=%ld msgs_per_s=%.0f\n",
         pairs, n * pairs, n * pairs / s);
  for (auto& a : senders)
    anon_send_exit(a, exit_reason::user_shutdown);
}

// --- ping-pong ---------------------------------------------------------------
static behavior pong(event_based_actor* self) {
  return {[=](ping_atom, int x) { return std::make_tuple(ping_atom::value, x); }};
}

struct pp_state {
  long left;
  uint64_t sent;
  std::vector<uint64_t>* rtt;
  std::atomic<long>* done;
};

static behavior ping(stateful_actor<pp_state>* self, actor p, long rounds,
                     std::vector<uint64_t>* rtt, std::atomic<long>* done) {
  self->state.left = rounds;
  self->state.rtt = rtt;
  self->state.done = done;
  return {
    [=](go_atom) {
      self->state.sent = now_ns();
      self->send(p, ping_atom::value, 1);
    },
    [=](ping_atom, int x) {
      uint64_t t = now_ns();
      self->state.rtt->push_back(t - self->state.sent);
      if (--self->state.left == 0) {
        self->state.done->store(1);
        return;
      }
      self->state.sent = t;
      self->send(p, ping_atom::value, x);
    },
  };
}

static void pingpong(actor_system& sys, long rounds) {
  std::vector<uint64_t> rtt;
  rtt.reserve(rounds);
  std::atomic<long> done{0};
  auto p = sys.spawn(pong);
  auto a = sys.spawn(ping, p, rounds, &rtt, &done);
  uint64_t t0 = now_ns();
  anon_send(a, go_atom::value);
  wait_for(done, 1);
  double s = (now_ns() - t0) / 1e9;
  std::sort(rtt.begin(), rtt.end());
  printf("bench=local_pingpong impl=caf rounds=%ld msgs_per_s=%.0f "
         "p50_us=%.2f p99_us=%.2f\n",
         rounds, 2.0 * rounds / s, rtt[rtt.size() / 2] / 1e3,
         rtt[rtt.size() * 99 / 100] / 1e3);
  anon_send_exit(a, exit_reason::user_shutdown);
  anon_send_exit(p, exit_reason::user_shutdown);
}

// --- call: request/response from a blocking actor ------------------------------
static behavior server(event_based_actor*) {
  return {[](int x) { return x + 1; }};
}

struct call_state {
  long left;
  uint64_t sent;
  std::vector<uint64_t>* lat;
  std::atomic<long>* done;
};

// One request at a time, each sent from the previous response's handler:
// CAF's event-based request/then, the call an actor would make.
static void next_call(stateful_actor<call_state>* self, actor srv) {
  self->state.sent = now_ns();
  self->request(srv, std::chrono::seconds(5), 1).then([=](int) {
    self->state.lat->push_back(now_ns() - self->state.sent);
    if (--self->state.left == 0)
      self->state.done->store(1);
    else
      next_call(self, srv);
  });
}

static behavior client(stateful_actor<call_state>* self, actor srv, long n,
                       std::vector<uint64_t>* lat, std::atomic<long>* done) {
  self->state.left = n;
  self->state.lat = lat;
  self->state.done = done;
  return {[=](go_atom) { next_call(self, srv); }};
}

static void call(actor_system& sys, long n) {
  auto srv = sys.spawn(server);
  std::vector<uint64_t> lat;
  lat.reserve(n);
  std::atomic<long> done{0};
  auto c = sys.spawn(client, srv, n, &lat, &done);
  uint64_t t0 = now_ns();
  anon_send(c, go_atom::value);
  wait_for(done, 1);
  double s = (now_ns() - t0) / 1e9;
  std::sort(lat.begin(), lat.end());
  printf("bench=local_call impl=caf calls=%ld calls_per_s=%.0f p50_us=%.2f "
         "p99_us=%.2f\n",
         n, n / s, lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3);
  anon_send_exit(c, exit_reason::user_shutdown);
  anon_send_exit(srv, exit_reason::user_shutdown);
}

// --- spawn -----------------------------------------------------------------------
static behavior idle(event_based_actor*) {
  return {[](int) {}};
}

static void spawn_bench(actor_system& sys, long n) {
  std::vector<actor> actors;
  actors.reserve(n);
  size_t before = mallinfo2().uordblks;
  uint64_t t0 = now_ns();
  for (long i = 0; i < n; i++)
    actors.push_back(sys.spawn(idle));
  double s = (now_ns() - t0) / 1e9;
  size_t bytes = (mallinfo2().uordblks - before) / n;
  uint64_t t1 = now_ns();
  for (auto& a : actors)
    anon_send_exit(a, exit_reason::user_shutdown);
  actors.clear();
  sys.await_actors_before_shutdown(true);
  while (sys.registry().running() > 1)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  double e = (now_ns() - t1) / 1e9;
  printf("bench=spawn impl=caf actors=%ld spawns_per_s=%.0f "
         "bytes_per_actor=%zu exits_per_s=%.0f\n",
         n, n / s, bytes, n / e);
}

// --- fan-out: CAF has groups; a local group is its pub/sub -------------------
static behavior subscriber(event_based_actor* self, group g,
                           std::atomic<long>* got) {
  self->join(g);
  return {[=](int) { got->fetch_add(1, std::memory_order_relaxed); }};
}

static void fanout(actor_system& sys, long n) {
  auto g = sys.groups().get_local("fan");
  std::atomic<long> got{0};
  std::vector<actor> subs;
  for (long i = 0; i < n; i++)
    subs.push_back(sys.spawn(subscriber, g, &got));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  uint64_t t0 = now_ns();
  anon_send(g, 1);
  wait_for(got, n);
  double s = (now_ns() - t0) / 1e9;
  printf("bench=event_fanout impl=caf subscribers=%ld ms=%.1f "
         "deliveries_per_s=%.0f\n",
         n, s * 1e3, n / s);
  for (auto& a : subs)
    anon_send_exit(a, exit_reason::user_shutdown);
}

void caf_main(actor_system& sys) {
  oneway(sys, 1, 2000000);
  oneway(sys, 2, 1000000);
  oneway(sys, 4, 500000);
  pingpong(sys, 200000);
  call(sys, 200000);
  spawn_bench(sys, 200000);
  fanout(sys, 100000);
}

CAF_MAIN()
