package io.sparkattention.spark.maps;

import io.sparkattention.kernel.AttentionOps;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.MultiHeadOps;
import io.sparkattention.kernel.ScoreOptions;
import io.sparkattention.plan.SequenceIndex;
import io.sparkattention.plan.SequenceMasks;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.attention.DistributedAttention;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.TokenColumns;
import io.sparkattention.spark.io.TokenTables;
import io.sparkattention.spark.validate.InputValidator;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.PairFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.ejml.data.DMatrixRMaj;
import scala.Tuple2;

/**
 * Attention maps: the attention weights of every sequence, for looking at what attends to what.
 *
 * <p>Schema (stable): {@code seq_id} and {@code pos} as in the input, {@code head} (int, 0 … H−1)
 * and {@code weights} (array of doubles, length n): one row per (sequence, head, query pos), {@code
 * weights[k]} the weight of key position k. The weights are {@code softmax(q·kᵀ/√d_head + mask)} of
 * the projected queries and keys (the kernel's {@link AttentionOps#weights}; with score options,
 * {@link MultiHeadOps#headWeights}: RoPE, the head's key/value head, scale, softcap and ALiBi
 * applied): each row sums to 1, masked keys are 0. For local-p they are the effective weights
 * {@link AttentionOps#localPWeights} (the window's softmax times the Gaussian, zeros outside the
 * window), so that the output before {@code wo} is {@code weights · V} for every kind.
 *
 * <p>A map holds n² numbers per head, so it is only for short sequences: {@link #checkLengths}
 * refuses longer ones before anything runs. Each sequence is computed whole in one task (one
 * shuffle of the tokens by sequence), about {@code 3·n²} doubles at a time.
 */
public final class AttentionMaps {
  /** Default of {@code --emit-weights-max-length}: a 2048² map is 32 MiB per head. */
  public static final int DEFAULT_MAX_LENGTH = 2048;

  /** Output column of the weights. */
  public static final String WEIGHTS = "weights";

  /** Output column of the head. */
  public static final String HEAD = "head";

  private AttentionMaps() {}

  /**
   * Where to write the maps and the longest sequence allowed.
   *
   * @param path output directory (same format and overwrite rules as the job's output)
   * @param maxLength longest sequence whose map may be written, ≥ 1
   */
  public record Request(String path, int maxLength) {
    public Request {
      if (path == null || path.isBlank()) {
        throw InputException.forParameter("maps", "needs a path");
      }
      if (maxLength < 1) {
        throw InputException.forParameter("mapsMaxLength", "must be >= 1, got " + maxLength);
      }
    }
  }

  /**
   * Refuses a table with a sequence longer than {@code maxLength}.
   *
   * @throws InputException naming the longest such sequence's seq_id and length
   */
  public static void checkLengths(InputValidator.ValidTable valid, int maxLength) {
    int worst = -1;
    int over = 0;
    for (int s = 0; s < valid.lengths().length; s++) {
      if (valid.lengths()[s] > maxLength) {
        over++;
        if (worst < 0 || valid.lengths()[s] > valid.lengths()[worst]) {
          worst = s;
        }
      }
    }
    if (worst >= 0) {
      throw new InputException(
          "--emit-weights: seq_id="
              + valid.seqIds().get(worst)
              + " has "
              + valid.lengths()[worst]
              + " tokens, more than --emit-weights-max-length "
              + maxLength
              + (over > 1 ? " (" + (over - 1) + " other sequence(s) too)" : "")
              + "; a map holds n² weights per head: raise the limit or leave out long sequences");
    }
  }

  /** The maps' schema: seq_id, head, pos, weights. */
  public static StructType schema(TokenColumns cols) {
    return new StructType(
        new StructField[] {
          DataTypes.createStructField(TokenColumns.SEQ_ID, cols.seqIdType(), false),
          DataTypes.createStructField(HEAD, DataTypes.IntegerType, false),
          DataTypes.createStructField(TokenColumns.POS, cols.posType(), false),
          DataTypes.createStructField(
              WEIGHTS, DataTypes.createArrayType(DataTypes.DoubleType, false), false)
        });
  }

  /**
   * The maps of every sequence of a validated table (lazy), with the weights already validated
   * against the table (as {@link DistributedAttention#compute} does).
   *
   * @param sequenceMasks per sequence its segments and global tokens ({@link
   *     io.sparkattention.plan.AttentionPlan#sequenceMasks()}), or null
   */
  public static Dataset<Row> compute(
      SparkSession spark,
      Dataset<Row> table,
      TokenColumns cols,
      InputValidator.ValidTable valid,
      AttentionSpec spec,
      SequenceMasks sequenceMasks) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Broadcast<SequenceIndex> indexB = jsc.broadcast(SequenceIndex.of(valid.seqIds()));
    Broadcast<AttentionWeights> weightsB = jsc.broadcast(spec.weights());
    int partitions = Math.max(1, Math.min(valid.seqIds().size(), 2 * jsc.defaultParallelism()));
    // Shuffles each token (raw vector) to its sequence's task.
    JavaRDD<Row> rows =
        table
            .javaRDD()
            .mapToPair(new BySequenceFn(cols, indexB))
            .groupByKey(partitions)
            .flatMap(
                new SequenceMapsFn(
                    cols.seqIdType(),
                    cols.posType(),
                    indexB,
                    weightsB,
                    spec.mask(),
                    sequenceMasks,
                    spec.numHeads(),
                    spec.localPWindow(),
                    spec.scores()));
    rows = FaultInjection.of(spark).inject(FaultInjection.MAPS, rows);
    return spark.createDataFrame(rows, schema(cols));
  }

  /** Keys each token by its sequence's index. */
  static final class BySequenceFn implements PairFunction<Row, Integer, Tuple2<Long, double[]>> {
    private static final long serialVersionUID = 1L;
    private final TokenColumns cols;
    private final Broadcast<SequenceIndex> index;

    BySequenceFn(TokenColumns cols, Broadcast<SequenceIndex> index) {
      this.cols = cols;
      this.index = index;
    }

    @Override
    public Tuple2<Integer, Tuple2<Long, double[]>> call(Row row) {
      return new Tuple2<>(
          index.value().require(cols.seqId(row)), new Tuple2<>(cols.pos(row), cols.vector(row)));
    }
  }

  /** One sequence's maps, head after head (one head's n×n weights held at a time). */
  static final class SequenceMapsFn
      implements FlatMapFunction<Tuple2<Integer, Iterable<Tuple2<Long, double[]>>>, Row> {
    private static final long serialVersionUID = 1L;
    private final DataType seqType;
    private final DataType posType;
    private final Broadcast<SequenceIndex> seqIds;
    private final Broadcast<AttentionWeights> weights;
    private final Mask mask;
    private final SequenceMasks sequenceMasks;
    private final int heads;
    private final int localPWindow;
    private final ScoreOptions scores;

    /**
     * @param localPWindow local-p's D, or 0 for softmax weights under {@code mask}
     */
    SequenceMapsFn(
        DataType seqType,
        DataType posType,
        Broadcast<SequenceIndex> seqIds,
        Broadcast<AttentionWeights> weights,
        Mask mask,
        SequenceMasks sequenceMasks,
        int heads,
        int localPWindow,
        ScoreOptions scores) {
      this.seqType = seqType;
      this.posType = posType;
      this.seqIds = seqIds;
      this.weights = weights;
      this.mask = mask;
      this.sequenceMasks = sequenceMasks;
      this.heads = heads;
      this.localPWindow = localPWindow;
      this.scores = scores;
    }

    @Override
    public Iterator<Row> call(Tuple2<Integer, Iterable<Tuple2<Long, double[]>>> sequence) {
      List<double[]> xs = new ArrayList<>();
      List<Long> ps = new ArrayList<>();
      for (Tuple2<Long, double[]> t : sequence._2()) {
        ps.add(t._1());
        xs.add(t._2());
      }
      final int n = xs.size();
      final int d = xs.get(0).length;
      DMatrixRMaj X = new DMatrixRMaj(n, d);
      double[][] rowsByPos = new double[n][];
      for (int i = 0; i < n; i++) {
        rowsByPos[(int) (long) ps.get(i)] = xs.get(i);
      }
      for (int p = 0; p < n; p++) {
        System.arraycopy(rowsByPos[p], 0, X.data, p * d, d);
      }
      AttentionWeights w = weights.value();
      DMatrixRMaj Q = w.projectQuery(X);
      DMatrixRMaj K = w.projectKey(X);
      double[] centres = null;
      if (localPWindow > 0) {
        // The job's own centres: the same function of each token's vector.
        centres = new double[n];
        for (int p = 0; p < n; p++) {
          centres[p] = w.localPCentre(rowsByPos[p], n);
        }
      }
      final double[] c = centres;
      final Object seq = TokenTables.seqIdValue(seqIds.value().id(sequence._1()), seqType);
      final Mask seqMask = sequenceMasks == null ? mask : sequenceMasks.apply(mask, sequence._1());
      return new Iterator<>() {
        int head = -1;
        int row = n;
        DMatrixRMaj weights;

        @Override
        public boolean hasNext() {
          return row < n || head + 1 < heads;
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          if (row == n) {
            head++;
            row = 0;
            weights =
                c != null
                    ? AttentionOps.localPWeights(
                        MultiHeadOps.head(Q, head, heads),
                        c,
                        MultiHeadOps.head(K, head, heads),
                        localPWindow)
                    : MultiHeadOps.headWeights(Q, K, head, heads, seqMask, scores);
          }
          double[] r = new double[n];
          System.arraycopy(weights.data, row * n, r, 0, n);
          Row out =
              RowFactory.create(
                  seq, head, TokenTables.posValue(row, posType), TokenTables.toBoxed(r));
          row++;
          return out;
        }
      };
    }
  }
}
