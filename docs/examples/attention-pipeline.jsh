// AttentionTransformer in a Spark ML Pipeline over the sample tokens: fit, save, load, transform.
// Run from the repository root (see docs/attention-kinds.md, "Spark ML Transformer").
import io.sparkattention.spark.ml.AttentionTransformer;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

SparkSession spark = SparkSession.builder().master("local[2]").getOrCreate();
Dataset<Row> tokens = spark.read().json("sample-data/tokens.jsonl"); // seq_id, pos, word, x
AttentionTransformer attention =
    new AttentionTransformer().setOutputCol("attended").setAttention("causal").setHeads(2);
PipelineModel model = new Pipeline().setStages(new PipelineStage[] {attention}).fit(tokens);
model.write().overwrite().save("out/attention-model");
Dataset<Row> attended = PipelineModel.load("out/attention-model").transform(tokens);
attended.select("seq_id", "pos", "word", "attended").orderBy("seq_id", "pos").show(5, 60);
System.out.println(attended.count() + " rows, one per input token");
/exit
