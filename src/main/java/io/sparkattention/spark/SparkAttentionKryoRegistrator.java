package io.sparkattention.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.FieldSerializer;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Registers with Kryo every class that the jobs send between JVMs: shuffled records, broadcast
 * plans and weights, and task results. The one list of them; conf names it once:
 *
 * <pre>
 * spark.serializer           org.apache.spark.serializer.KryoSerializer
 * spark.kryo.registrator     io.sparkattention.spark.SparkAttentionKryoRegistrator
 * </pre>
 *
 * <p>Usage: set as above in {@code conf/spark-defaults.conf} (read by every {@code jobs/} script),
 * {@code conf/presets/*.conf}, or a Spark application's own conf.
 *
 * <p>A registered class is written as a small id instead of its name: 18 instead of 51 bytes of
 * framing per shuffled token (measured, d = 64), the framing the cost model counts ({@code
 * CostModel.Framing.KRYO_REGISTERED}). The ids are part of the shuffle's bytes, so registering must
 * move none of them:
 *
 * <ul>
 *   <li>{@link #SHUFFLED_RECORDS} are registered first, in Kryo's next free ids, exactly as when
 *       conf listed them in {@code spark.kryo.classesToRegister} (44–50 on Spark 3.5.7);
 *   <li>{@link #OTHER_CLASSES} get fixed ids from {@link #FIRST_OTHER_ID} up, past Spark's own. In
 *       the next free ids they would push up the ids of the Scala classes Spark registers after the
 *       user's registrator ({@code scala.Tuple2}, which the pooling and maps shuffles carry, among
 *       them): some ids would then take two bytes, and with shuffle compression on even a changed
 *       one-byte id changes the compressed size.
 * </ul>
 *
 * <p>Both lists only grow at their end. {@code SparkAttentionKryoRegistratorTest} checks that every
 * id Spark hands out is the one it had with {@code spark.kryo.classesToRegister}. The tests run
 * with {@code spark.kryo.registrationRequired=true}, so a class missing here fails them instead of
 * silently costing its name on every record. Classes are named by their binary names: most of ours
 * are package-private in their sub-packages.
 */
public final class SparkAttentionKryoRegistrator implements KryoRegistrator {
  /** The records of the attention and pooling shuffles, in registration order. */
  static final List<String> SHUFFLED_RECORDS =
      List.of(
          "io.sparkattention.spark.attention.RouteKey",
          "io.sparkattention.spark.attention.TokenPart",
          "io.sparkattention.spark.io.FinishedToken",
          "io.sparkattention.spark.attention.PyramidReduction$PyramidStep",
          "io.sparkattention.spark.pooling.PoolStep",
          "io.sparkattention.spark.pooling.PooledBlock",
          "io.sparkattention.spark.pooling.PooledGroup");

  /** Id of the first of {@link #OTHER_CLASSES}: Spark 3.5.7 registers ids 0–268 itself. */
  static final int FIRST_OTHER_ID = 1000;

  /** Broadcasts and task results, and what they hold; ids from {@link #FIRST_OTHER_ID}. */
  static final List<String> OTHER_CLASSES =
      List.of(
          // Broadcast: the plan, the weights and what they hold.
          "io.sparkattention.plan.AttentionPlan",
          "io.sparkattention.plan.Strategy",
          "io.sparkattention.plan.TileTask",
          "io.sparkattention.plan.SequenceLayout",
          "[Lio.sparkattention.plan.SequenceLayout;",
          "[Lio.sparkattention.plan.SequenceCut;",
          "io.sparkattention.plan.LocalPLayout",
          "io.sparkattention.plan.LocalPCells",
          "io.sparkattention.plan.LocalPCells$Cell",
          "io.sparkattention.kernel.Mask",
          "io.sparkattention.kernel.Mask$Kind",
          "io.sparkattention.kernel.AttentionWeights",
          "io.sparkattention.spark.pooling.PoolingWeights",
          "org.ejml.data.DMatrixRMaj",
          "[[I",
          "java.util.ArrayList",
          "java.util.HashMap",
          // Task results of the input checks (tree-reduced summaries) and the hierarchy's keys.
          "io.sparkattention.spark.validate.ValidationSummary",
          "io.sparkattention.spark.validate.ValidationSummary$SeqStats",
          "io.sparkattention.spark.validate.SentenceKey",
          "java.util.TreeMap",
          "[Ljava.util.Map;",
          // Task results of Spark's own about our tables (JSON schema inference, Parquet schema
          // merging): data types Spark does not register itself.
          "org.apache.spark.sql.types.ArrayType",
          "org.apache.spark.sql.types.ByteType$",
          "org.apache.spark.sql.types.NullType$",
          "org.apache.spark.ml.linalg.VectorUDT",
          // The plan's map from sequence id to its index (broadcast with the plan).
          "io.sparkattention.plan.SequenceIndex",
          // The output check's per-task tallies (accumulator updates travel by Java serialization;
          // this slot, once the read-back check's summaries, keeps the later classes' ids).
          "io.sparkattention.spark.io.OutputTally$Tally",
          // Parquet schema merging of a table with float vectors and nested extra columns.
          "org.apache.spark.sql.types.FloatType$",
          "org.apache.spark.sql.types.MapType",
          // The plan's segment starts of packed documents (issue 15).
          "[[J",
          // Validation's per-sequence check on the executors (issue 13): its shuffle's keys and
          // combiners, and its tasks' results, a few bytes a sequence.
          "io.sparkattention.spark.validate.PositionCheck$RowsKey",
          "io.sparkattention.spark.validate.PositionCheck$Found",
          "io.sparkattention.plan.IdLengths",
          "io.sparkattention.plan.SortedIds",
          // The plan's per-sequence masks and global tokens (issue 15, --global-col).
          "io.sparkattention.plan.SequenceMasks",
          "io.sparkattention.kernel.GlobalTokens");

  @Override
  public void registerClasses(Kryo kryo) {
    for (Class<?> c : load(SHUFFLED_RECORDS)) {
      kryo.register(c);
    }
    List<Class<?>> others = load(OTHER_CLASSES);
    for (int i = 0; i < others.size(); i++) {
      Class<?> c = others.get(i);
      if (Collection.class.isAssignableFrom(c) && c.getName().startsWith("io.sparkattention.")) {
        // Our compact lists (SortedIds) ship as their fields: Kryo's default for a Collection
        // rebuilds it element by element through add(), which a read-only list refuses.
        kryo.register(c, new FieldSerializer<>(kryo, c), FIRST_OTHER_ID + i);
      } else {
        kryo.register(c, FIRST_OTHER_ID + i);
      }
    }
  }

  /** Every class registered, loaded: {@link #SHUFFLED_RECORDS}, then {@link #OTHER_CLASSES}. */
  static List<Class<?>> classes() {
    return load(Stream.concat(SHUFFLED_RECORDS.stream(), OTHER_CLASSES.stream()).toList());
  }

  private static List<Class<?>> load(List<String> names) {
    ClassLoader loader = SparkAttentionKryoRegistrator.class.getClassLoader();
    return names.stream().<Class<?>>map(name -> load(name, loader)).toList();
  }

  private static Class<?> load(String name, ClassLoader loader) {
    try {
      return Class.forName(name, false, loader);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Kryo registration names a missing class: " + name, e);
    }
  }
}
