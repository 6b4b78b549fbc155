package io.sparkattention.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.StrategyMasks;
import io.sparkattention.kernel.Mask;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans of packed documents ({@link SequenceMasks#segments}) against brute force: every pair the
 * mask allows within a segment is covered by exactly one task, each task's attended pairs are the
 * allowed pairs of its rectangle, and block pairs across segments get no task.
 */
class SegmentedPlanTest {

  /** Segment index per position, from the starts by a linear scan. */
  static int[] labels(long[] starts, long n) {
    int[] seg = new int[(int) n];
    for (int p = 0, i = 0; p < n; p++) {
      while (starts != null && i + 1 < starts.length && starts[i + 1] <= p) {
        i++;
      }
      seg[p] = i;
    }
    return seg;
  }

  static boolean allowed(Mask base, int[] seg, long q, long k) {
    return seg[(int) q] == seg[(int) k] && Allowed.of(base).test(q, k);
  }

  static long[] randomStarts(Random rnd, long n) {
    TreeSet<Long> s = new TreeSet<>();
    s.add(0L);
    int cuts = rnd.nextInt((int) Math.max(1, n / 4) + 1);
    for (int i = 0; i < cuts; i++) {
      s.add((long) rnd.nextInt((int) n));
    }
    return s.size() == 1 ? null : s.stream().mapToLong(Long::longValue).toArray();
  }

  static Stream<Arguments> configs() {
    List<Arguments> out = new ArrayList<>();
    Random rnd = new Random(7);
    Mask[] masks = {Mask.none(), Mask.causal(), Mask.window(2), Mask.causalWindow(5)};
    for (Strategy s : StrategyMasks.STRATEGIES) {
      for (Mask m : masks) {
        if (!StrategyMasks.fits(s, m)) {
          continue;
        }
        for (int i = 0; i < 5; i++) {
          long[] lengths = {1 + rnd.nextInt(90), 1 + rnd.nextInt(9), 33, 1 + rnd.nextInt(60)};
          long[][] starts = new long[lengths.length][];
          for (int q = 0; q < lengths.length; q++) {
            starts[q] = randomStarts(rnd, lengths[q]);
          }
          int b = new int[] {1, 4, 7, 16}[rnd.nextInt(4)];
          out.add(Arguments.of(s, m, b, 1 + rnd.nextInt(3), 1 + rnd.nextInt(3), lengths, starts));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} B={2} tiles {3}x{4}")
  @MethodSource("configs")
  void coversEveryAllowedPairOnceAndCountsThem(
      Strategy s, Mask m, int b, int qTiles, int kTiles, long[] lengths, long[][] starts) {
    AttentionPlan plan =
        AttentionPlan.create(
            lengths,
            SequenceMasks.segments(starts),
            PlanOptions.builder()
                .strategy(s)
                .mask(m)
                .blockSize(b)
                .numHeads(2)
                .tiles(qTiles, kTiles)
                .build());
    long total = 0;
    for (int seq = 0; seq < lengths.length; seq++) {
      long n = lengths[seq];
      int[] seg = labels(starts[seq], n);
      List<TileTask> own = new ArrayList<>();
      if (plan.isWhole(seq)) {
        own.add(plan.task(plan.wholeTaskId(seq)));
      } else {
        for (TileTask t : plan.tasks()) {
          if (t.seqIndex() == seq) {
            own.add(t);
          }
        }
      }
      for (TileTask t : own) {
        long pairs = 0;
        for (long q = t.qStart(); q < t.qEnd(); q++) {
          for (long k = t.kStart(); k < t.kEnd(); k++) {
            pairs += allowed(m, seg, q, k) ? 1 : 0;
          }
        }
        assertEquals(pairs, t.attendedPairs(), "attended pairs of " + t);
        total += t.headGroup() == 0 ? pairs : 0;
      }
      for (long q = 0; q < n; q++) {
        for (long k = 0; k < n; k++) {
          if (!allowed(m, seg, q, k)) {
            continue;
          }
          for (int h = 0; h < 2; h++) {
            int covering = 0;
            for (TileTask t : own) {
              boolean holds =
                  h >= t.headStart()
                      && h < t.headEnd()
                      && q >= t.qStart()
                      && q < t.qEnd()
                      && k >= t.kStart()
                      && k < t.kEnd();
              covering += holds ? 1 : 0;
            }
            assertEquals(1, covering, "seq " + seq + " pair (" + q + ", " + k + ") head " + h);
          }
        }
      }
    }
    assertTrue(total > 0);
  }

  @Test
  void blockPairsAcrossSegmentsGetNoTask() {
    // two documents of 64 tokens, blocks of 16, one query and one key block per task
    PlanOptions options =
        PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(16).tiles(1, 1).build();
    AttentionPlan whole = AttentionPlan.create(new long[] {128}, options);
    AttentionPlan packed =
        AttentionPlan.create(
            new long[] {128}, SequenceMasks.segments(new long[][] {{0, 64}}), options);
    assertEquals(64, whole.tasks().size());
    assertEquals(32, packed.tasks().size());
    for (TileTask t : packed.tasks()) {
      assertEquals(t.qStart() < 64, t.kStart() < 64, "task " + t + " stays in its document");
    }
    assertEquals(2L * 64 * 64, packed.attendedPairs());
  }

  @Test
  void startsThatDoNotFitTheSequencesAreRefused() {
    PlanOptions options = PlanOptions.builder().strategy(Strategy.BLOCKS).blockSize(4).build();
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    AttentionPlan.create(
                        new long[] {5}, SequenceMasks.segments(new long[][] {{0, 5}}), options))
            .getMessage()
            .contains("segment starting at 5"));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AttentionPlan.create(
                new long[] {5, 6}, SequenceMasks.segments(new long[][] {{0, 2}}), options));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            AttentionPlan.create(
                new long[] {9}, SequenceMasks.segments(new long[][] {{0, 4, 3}}), options));
  }
}
