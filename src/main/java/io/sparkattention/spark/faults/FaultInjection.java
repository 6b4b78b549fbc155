package io.sparkattention.spark.faults;

import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFlatMapFunction;
import org.apache.spark.sql.SparkSession;

/**
 * Test-only faults: makes the first attempt of chosen tasks fail or stall, so tests can check that
 * retries, speculation and lost executors give the same output as a clean run. Off unless a test
 * sets one of the Spark properties below; never set them in production.
 *
 * <ul>
 *   <li>{@value #FAIL_KEY}{@code =RULES}: the task throws {@link InjectedFault} once its whole
 *       partition has gone through (so the stage's side effects, shuffle files or output files of
 *       that attempt, are half done and must be discarded);
 *   <li>{@value #SLOW_KEY}{@code =RULES}: the task sleeps {@value #SLOW_MILLIS_KEY} ms (default
 *       {@value #DEFAULT_SLOW_MILLIS}) once its whole partition has gone through: a straggler whose
 *       output is written but not committed, for speculation to race.
 * </ul>
 *
 * <p>{@code RULES} is {@code stage:partitions[;stage:partitions…]}, partitions a comma list of
 * partition ids or {@code *}, a stage one of the steps below. A partition id is the step's own
 * partition (of the data set the step produces), whichever Spark stage computes it: the attention
 * job's tile partitions of finished rows run in the write stage, its others before the merge.
 *
 * <ul>
 *   <li>{@code route}: reading and routing the input (the attention job's tokens to their tile
 *       tasks, the hierarchical job's words to their sentences);
 *   <li>{@code tile}: the tile tasks (partitions of finished rows also write the output, the others
 *       feed the merge);
 *   <li>{@code merge}: merging partial states and writing the output (its partitions numbered from
 *       0, apart from the tile partitions the write stage also holds);
 *   <li>{@code pyramid}: the pyramidal encoder's reduce side (top-level steps assembled), which
 *       runs in the task that routes them on to attention;
 *   <li>{@code centres}: local-p's first pass, every token's centre summarised per partition;
 *   <li>{@code maps}: the attention maps of {@code --emit-weights}, computed and written;
 *   <li>{@code pool}: the hierarchical job's pooling of blocks (both levels);
 *   <li>{@code pool-merge}: merging a group's block states (both levels: the word level's in the
 *       task that writes the sentences, the sentence level's in the one that writes the documents).
 * </ul>
 *
 * <p>Only the first attempt of a task (stage attempt 0, task attempt 0) is affected: retries and
 * speculative copies run clean. A step that a later Spark stage computes again (the pyramid's
 * reduce side for the maps, say) fails again there, in that stage's first attempts. An injected
 * failure's message names the stage, the partition and the number of partitions ({@code … first
 * attempt of tile partition 2 of 4 …}), so tests can count failures per stage.
 */
public final class FaultInjection implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Spark property: tasks whose first attempt fails. */
  public static final String FAIL_KEY = "spark.sparkattention.test.failFirstAttempt";

  /** Spark property: tasks whose first attempt stalls. */
  public static final String SLOW_KEY = "spark.sparkattention.test.slowFirstAttempt";

  /** Spark property: how long a stalled attempt sleeps, in milliseconds. */
  public static final String SLOW_MILLIS_KEY = "spark.sparkattention.test.slowMillis";

  static final long DEFAULT_SLOW_MILLIS = 60_000;

  /** The stages a rule can name (see the class comment). */
  public static final String ROUTE = "route";

  public static final String TILE = "tile";
  public static final String MERGE = "merge";
  public static final String PYRAMID = "pyramid";
  public static final String CENTRES = "centres";
  public static final String MAPS = "maps";
  public static final String POOL = "pool";
  public static final String POOL_MERGE = "pool-merge";

  /** Every stage, in the order the class comment lists them. */
  public static final Set<String> STAGES =
      Collections.unmodifiableSet(
          new LinkedHashSet<>(
              List.of(ROUTE, TILE, MERGE, PYRAMID, CENTRES, MAPS, POOL, POOL_MERGE)));

  private static final FaultInjection NONE = new FaultInjection(Map.of(), Map.of(), 0);

  /** Stage → partition ids (empty set: every partition). */
  private final Map<String, TreeSet<Integer>> fail;

  private final Map<String, TreeSet<Integer>> slow;
  private final long slowMillis;

  private FaultInjection(
      Map<String, TreeSet<Integer>> fail, Map<String, TreeSet<Integer>> slow, long slowMillis) {
    this.fail = fail;
    this.slow = slow;
    this.slowMillis = slowMillis;
  }

  /** No faults (the default). */
  public static FaultInjection none() {
    return NONE;
  }

  /** The faults the session's properties ask for ({@link #none()} when none is set). */
  public static FaultInjection of(SparkSession spark) {
    return parse(
        spark.conf().get(FAIL_KEY, ""),
        spark.conf().get(SLOW_KEY, ""),
        Long.parseLong(spark.conf().get(SLOW_MILLIS_KEY, String.valueOf(DEFAULT_SLOW_MILLIS))));
  }

  /**
   * Parses two rule strings.
   *
   * @throws IllegalArgumentException naming the property and the bad rule
   */
  public static FaultInjection parse(String failRules, String slowRules, long slowMillis) {
    Map<String, TreeSet<Integer>> f = rules(FAIL_KEY, failRules);
    Map<String, TreeSet<Integer>> s = rules(SLOW_KEY, slowRules);
    return f.isEmpty() && s.isEmpty() ? NONE : new FaultInjection(f, s, slowMillis);
  }

  private static Map<String, TreeSet<Integer>> rules(String key, String text) {
    Map<String, TreeSet<Integer>> out = new LinkedHashMap<>();
    for (String rule : text.split(";")) {
      if (rule.isBlank()) {
        continue;
      }
      String[] sp = rule.split(":", 2);
      String stage = sp[0].trim().toLowerCase(Locale.ROOT);
      if (sp.length != 2 || !STAGES.contains(stage)) {
        throw new IllegalArgumentException(
            key
                + ": bad rule '"
                + rule
                + "' (want "
                + String.join("|", STAGES)
                + ":PARTITIONS, e.g. tile:0,2)");
      }
      TreeSet<Integer> parts = new TreeSet<>();
      if (!sp[1].trim().equals("*")) {
        for (String p : sp[1].split(",")) {
          try {
            parts.add(Integer.parseInt(p.trim()));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                key + ": bad partition '" + p + "' in rule '" + rule + "'", e);
          }
        }
      }
      out.put(stage, parts);
    }
    return out;
  }

  /** Whether any fault is set. */
  public boolean isActive() {
    return this != NONE;
  }

  /** {@code fn} with this object's faults for {@code stage} ({@code fn} itself when off). */
  public <A, B> FlatMapFunction<Iterator<A>, B> around(
      String stage, FlatMapFunction<Iterator<A>, B> fn) {
    if (!isActive()) {
      return fn;
    }
    return input -> wrap(stage, fn.call(input));
  }

  /** As {@link #around(String, FlatMapFunction)} for a function that emits pairs. */
  public <A, K, V> PairFlatMapFunction<Iterator<A>, K, V> aroundPairs(
      String stage, PairFlatMapFunction<Iterator<A>, K, V> fn) {
    if (!isActive()) {
      return fn;
    }
    return input -> wrap(stage, fn.call(input));
  }

  /**
   * {@code rdd} with this object's faults for {@code stage} applied to each of its partitions as
   * they are consumed, in whichever Spark stage computes them ({@code rdd} itself when off, so a
   * run without faults has the same lineage). A rule's partition is {@code rdd}'s own partition
   * index, not the task's: a partition computed in a later stage (pruned into it, or behind a
   * union) is still the one the rule names, and fails or stalls there.
   */
  public <T> JavaRDD<T> inject(String stage, JavaRDD<T> rdd) {
    checkStage(stage);
    if (!isActive()) {
      return rdd;
    }
    int partitions = rdd.getNumPartitions();
    return rdd.mapPartitionsWithIndex((i, it) -> wrap(stage, i, partitions, it), true);
  }

  /** As {@link #inject(String, JavaRDD)} for a pair RDD (its partitioner kept). */
  public <K, V> JavaPairRDD<K, V> inject(String stage, JavaPairRDD<K, V> rdd) {
    checkStage(stage);
    if (!isActive()) {
      return rdd;
    }
    int partitions = rdd.getNumPartitions();
    return JavaPairRDD.fromJavaRDD(
        rdd.mapPartitionsWithIndex((i, it) -> wrap(stage, i, partitions, it), true));
  }

  private static void checkStage(String stage) {
    if (!STAGES.contains(stage)) {
      throw new IllegalArgumentException(
          "unknown fault stage '" + stage + "' (known: " + STAGES + ")");
    }
  }

  /** {@code it}, failing or stalling if this task attempt is chosen by its task's partition. */
  <T> Iterator<T> wrap(String stage, Iterator<T> it) {
    TaskContext tc = TaskContext.get();
    return tc == null ? it : wrap(stage, tc.partitionId(), tc.numPartitions(), it);
  }

  /**
   * {@code it}, failing or stalling if this task attempt is chosen: partition {@code partition} of
   * {@code partitions} of {@code stage}.
   */
  private <T> Iterator<T> wrap(String stage, int partition, int partitions, Iterator<T> it) {
    TaskContext tc = TaskContext.get();
    if (tc == null || tc.stageAttemptNumber() != 0 || tc.attemptNumber() != 0) {
      return it;
    }
    boolean failIt = selects(fail, stage, partition);
    boolean slowIt = selects(slow, stage, partition);
    if (!failIt && !slowIt) {
      return it;
    }
    return new Iterator<>() {
      private boolean ended;

      @Override
      public boolean hasNext() {
        if (it.hasNext()) {
          return true;
        }
        if (!ended) {
          ended = true;
          end();
        }
        return false;
      }

      /** After the whole partition went through: the attempt's output exists, uncommitted. */
      private void end() {
        if (slowIt) {
          try {
            Thread.sleep(slowMillis);
          } catch (InterruptedException e) {
            // Killed: another attempt of this task won.
            Thread.currentThread().interrupt();
            throw new InjectedFault("stalled " + stage + " task interrupted", e);
          }
        }
        if (failIt) {
          throw new InjectedFault(
              "injected failure of the first attempt of "
                  + stage
                  + " partition "
                  + partition
                  + " of "
                  + partitions
                  + " ("
                  + FAIL_KEY
                  + ")",
              null);
        }
      }

      @Override
      public T next() {
        return it.next();
      }
    };
  }

  private static boolean selects(Map<String, TreeSet<Integer>> rules, String stage, int p) {
    TreeSet<Integer> parts = rules.get(stage);
    return parts != null && (parts.isEmpty() || parts.contains(p));
  }

  /** The exception an injected fault throws. */
  public static final class InjectedFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InjectedFault(String message, Throwable cause) {
      super(message, cause);
    }
  }

  @Override
  public String toString() {
    return "FaultInjection[fail=" + fail + ", slow=" + slow + ", slowMillis=" + slowMillis + "]";
  }
}
