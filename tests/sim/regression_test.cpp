// Seeds that once found a bug, each run as a single seed. They were found in the simulator's
// former replica layer (sim/instance.cpp, gone since the simulator runs only the replica core)
// and now run as ordinary seeds of the core world: the same number draws another run, so a seed
// no longer replays its bug. They stay because they are cheap and because the comments keep what
// each bug was and where its fix lives (the handler tests named there pin each fix directly).
#include <gtest/gtest.h>

#include "sim/seeds.hpp"

using rampart::simtest::run_seeds;

// Seeds the simulator found early on (docs/simulator.md): a correct replica that fell
// behind during the fault phase never catches up, so clients that need its reply wait forever.
TEST(SimPoeRegression, LaggingReplicaCatchesUp) {
  for (uint64_t seed : {3, 18, 50}) run_seeds({"poe", 1, "all", 1}, seed);
}

// Seeds the simulator found early on (docs/simulator.md): a correct replica executes
// other results at a k for which a client already holds nf matching replies.
TEST(SimPoeRegression, AcceptedResultIsNeverReplaced) {
  for (uint64_t seed : {924, 1015, 1398, 1787, 1802}) run_seeds({"poe", 1, "all", 1}, seed);
}

// One seed per catch-up path fixed in PoE (docs/protocols.md, "Catching up"): 3 lone view
// change joined by idle replicas; 125 old primary learns the later view from a CERTIFY; 27 new
// primary behind the others' checkpoint fetches state; 369 NV-PROPOSE relayed to a replica in
// a view change; 873 new-view timer counts requests for higher views.
TEST(SimPoeRegression, EachCatchUpPath) {
  for (uint64_t seed : {3, 125, 27, 369, 873}) run_seeds({"poe", 1, "all", 1}, seed);
}

// Replicas left in a dead view (a restarted view-1 primary, an old primary) that only send
// stale messages: the others relay their view's NV-PROPOSE to them.
TEST(SimPoeRegression, StaleSenderGetsTheView) {
  for (uint64_t seed : {462, 773, 1377}) run_seeds({"poe", 1, "all", 1}, seed);
}

// A new primary whose SUPPORTs from backups were lost for history the backups had already
// executed (in the previous view): backups re-send SUPPORT only for what they have not
// executed, so the primary must keep re-proposing its uncertified slots (3682, 2:silent).
TEST(SimPoeRegression, NewPrimaryGetsSharesForExecutedHistory) {
  for (uint64_t seed : {3682}) run_seeds({"poe", 1, "all", 1}, seed);
}

// A correct replica rolled back its speculative copy of a result that clients accepted (the
// same result, executed again by the others in the next view) and was still behind when the
// last client finished: the simulator now runs on until it re-executes or installs a
// checkpoint covering it, instead of calling the lag a durability violation (16273, 0:equivocate).
TEST(SimPoeRegression, LaggingReplicaReexecutesRolledBackAcceptedResult) {
  for (uint64_t seed : {16273}) run_seeds({"poe", 1, "all", 1}, seed);
}

// The first poe-mac sweep (f=1, seeds 1..200, all faults) failed these ten seeds, all for
// liveness: a MAC backup that had view-committed k from the others' SUPPORTs did not answer the
// primary's retransmitted PROPOSE with its SUPPORT again, so a primary whose copy was lost never
// reached nf votes (24: a silent backup, the primary stuck at exec 1, the others at 9).
TEST(SimPoeMacRegression, BackupResendsSupportToRetransmittingPrimary) {
  for (uint64_t seed : {10, 24, 31, 51, 73, 126, 156, 163, 174, 185}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// A replica partitioned through a view change stayed in the dead view: the MAC variant never
// broadcasts CERTIFY, the threshold variant's signal that a later view lives, so it now asks
// for view + 1 on validly signed SUPPORTs of later views from f+1 replicas (9331, 0:lie).
TEST(SimPoeMacRegression, LaterViewSupportsEndADeadView) {
  for (uint64_t seed : {9331}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// A primary behind its backups' stable checkpoint (the third signer had crashed and forgotten
// it) re-proposed k <= their low watermark every tick and the backups rejected each copy; now a
// replica that sees PROPOSE/SUPPORT of its view for k <= its stable checkpoint sends the sender
// its STABLE proof (479, 0:crash: the view-1 primary at stable 8, the backups at 16).
TEST(SimPoeMacRegression, PrimaryBehindBackupsCheckpointGetsTheProof) {
  for (uint64_t seed : {479}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// A correct replica that executed k in view 0 during a partition (a branch the view-1 primary,
// an equivocating twin, did not keep) was still in view 0 when the last client finished, so it
// held a speculative result contradicting the accepted one. The simulator now runs on until it
// rolls back or installs a checkpoint (it did, within 4 s), instead of reporting the lag as
// durability; check_end still fails it at the liveness bound (12568 and 19838, 1:equivocate).
TEST(SimPoeMacRegression, StaleSpeculationIsGivenTimeToRollBack) {
  for (uint64_t seed : {12568, 19838}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// View 1 dropped view 0's k=9 (certified, but k=8 was not: a gap) and ordered k=8, k=9 anew;
// the old primary, left in view 0, later completed a view-0 certificate for k=8 (a batch view 1
// put at k=9) and a replica restarted into view 0 fetched and executed it after the clients had
// accepted view 1's k=8. Speculation of a dead view: both rolled back once they learnt view 1;
// the checker now judges such an execution at the end, not at once (91085 f=2, 6:crash).
TEST(SimPoeMacRegression, RestartedReplicaExecutesDeadViewCertificate) {
  for (uint64_t seed : {91085}) run_seeds({"poe-mac", 2, "all", 1}, seed);
}

// A faulty replica relayed its own valid NV-PROPOSE for view 1 to a replica that missed the
// primary's; the replica then executed view 1's certificates on top of the other history and
// got another result at k = 13 than the clients accepted in view 1 (random start 1367500585).
// A certificate of the view now overrides the history it contradicts
// (PoeHandlers.ACertificateOfTheViewOverridesAnotherHistoryWeWereGiven).
TEST(SimPoeMacRegression, ACertificateOfTheViewOverridesARelayedHistory) {
  for (uint64_t seed : {1367502045}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// Found by `make sim-long` from random start 2584783529, both durability-at-the-end: a correct
// replica never left a dead view's speculation. 2584808548: it missed view 2's NV-PROPOSE,
// asked for view 3 and waited there alone while a flooded cluster ran thousands of batches
// ahead (PoeHandlers.ARequesterBehindOurCheckpointGetsItsProof). 2584813633: left in view 2
// while the others ran view 4, whose primary withheld everything from it
// (PoeHandlers.LaterViewCheckpointsFromFPlusOneEndADeadView).
TEST(SimPoeRegression, AReplicaLeftBehindCatchesUpWhileTheClusterIsFlooded) {
  for (uint64_t seed : {2584808548ull, 2584813633ull}) run_seeds({"poe", 1, "all", 1}, seed);
}

// `make sim-long` from random start 1238589999, poe-mac f=1 (2 of 100,000): a Byzantine replica
// relayed its own valid NV-PROPOSE for view 3 to a replica in a view change; the replica executed
// view 3's certificate for the next k on top of the other history's last entry before any
// certificate of view 3 contradicted it. A certificate of view v now executes only on a prefix
// certificates of v back (PoeReplica::try_execute).
TEST(SimPoeMacRegression, ExecutionWaitsForTheViewsCertificatesOfWhatWasKept) {
  for (uint64_t seed : {1238593510ull, 1238633824ull}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// Found right after that rule (poe-mac f=1, 1 of 10,000 from 513907587; liveness): a new primary
// whose kept k = 1 was never certified again waited at k = 10 even after checkpoint 8 had become
// stable; a stable checkpoint now runs the waiting certificates.
TEST(SimPoeMacRegression, AStableCheckpointReleasesCertificatesWaitingForTheirPrefix) {
  for (uint64_t seed : {513914668ull}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// Memory (poe-mac f=1, 1 of 10,000 from 2159387125): the replica layer dropped forwarded batches
// whose requests had executed elsewhere, freeing the forwarder's quota, while the protocol kept
// them pending; a flooding peer pushed pending past the bound. The protocol now forgets them too
// (Protocol::withdraw).
TEST(SimPoeMacRegression, WithdrawnBatchesDoNotPileUpUnderAFlood) {
  for (uint64_t seed : {2159397098ull}) run_seeds({"poe-mac", 1, "all", 1}, seed);
}

// Checker (poe f=1, 1 of 3,000 from 1494608918): the accepted result at k = 1 was proven in view
// 2; the primary of view 0 had executed the same batch, with the same results, in view 0 alone,
// and the checker took that execution's view for the view of acceptance, so a correct replica's
// view-1 speculation at k = 1 (undone later) was reported at once. The proof's view is used now.
TEST(SimPoeRegression, SpeculationOlderThanTheProofsViewIsJudgedAtTheEnd) {
  for (uint64_t seed : {1494610953ull}) run_seeds({"poe", 1, "all", 1}, seed);
}
