# Shared launcher for the jobs/ scripts: sourced, never run. A job script sets nothing but its
# main class and calls `launch_job MAIN_CLASS "$@"`.
#
# Argument convention: arguments before `--` go to spark-submit (--master, --conf,
# --driver-memory, ...), arguments after it go to the job. Without `--`, all go to the job.
#
# With SPARK_HOME set: $SPARK_HOME/bin/spark-submit with the shaded jar. Without it: Spark's own
# SparkSubmit main class on java, with the Maven dependency classpath (built on first use), so no
# Spark download is needed.
#
# SA_SPARK picks the Spark line: 3.5 (the default; Spark 3.5.7, Scala 2.12, built into target/) or
# 4.1 (Spark 4.1.0, Scala 2.13: mvn -Pspark-4.1, built into target/spark-4.1/). With SPARK_HOME
# set, it must be a distribution of that line.

SA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The project's version, as the pom gives it (its only copy): the one <version> indented by two.
SA_VERSION="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$SA_ROOT/pom.xml")"
SA_SPARK="${SA_SPARK:-3.5}"
case "$SA_SPARK" in
  3.5) SA_SCALA_VERSION=2.12; SA_TARGET="$SA_ROOT/target"; SA_MVN_PROFILE=() ;;
  4.1) SA_SCALA_VERSION=2.13; SA_TARGET="$SA_ROOT/target/spark-4.1"; SA_MVN_PROFILE=(-Pspark-4.1) ;;
  *) echo "error: SA_SPARK must be 3.5 or 4.1, not '$SA_SPARK'" >&2; exit 2 ;;
esac
SA_ARTIFACT="spark-attention-${SA_SPARK}_${SA_SCALA_VERSION}"
# The shaded jar (our code, EJML, picocli, XChart): what executors need without repository access.
SA_JAR="$SA_TARGET/$SA_ARTIFACT-$SA_VERSION-shaded.jar"
SA_CLASSPATH_FILE="$SA_TARGET/classpath.txt"
# The driver's class-data-sharing archive (sa_record_classes), per line; SA_CDS=off starts without it.
SA_CDS_ARCHIVE="$SA_TARGET/$SA_ARTIFACT-$SA_VERSION.jsa"

# The JVM options of every JVM that runs Spark here (Java 17 opens, the Vector API module), read
# from their one list, conf/jvm-options.txt (one option per line, # comments).
sa_read_jvm_options() {
  local line words
  SA_JAVA17_FLAGS=()
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    read -r -a words <<<"$line"
    SA_JAVA17_FLAGS+=("${words[@]}")
  done <"$SA_ROOT/conf/jvm-options.txt"
}
sa_read_jvm_options
# The same for the JVMs Spark starts: as spark.{driver,executor}.defaultJavaOptions, which Spark
# puts before the matching extraJavaOptions, so a user's --driver-java-options or
# spark.executor.extraJavaOptions (a preset's, --conf) adds to them instead of replacing them.
SA_SPARK_JVM_CONF=(
  --conf "spark.driver.defaultJavaOptions=${SA_JAVA17_FLAGS[*]}"
  --conf "spark.executor.defaultJavaOptions=${SA_JAVA17_FLAGS[*]}"
)

# Builds the shaded jar and the run classpath when missing or older than the sources
# (SA_SKIP_BUILD=1: use them as they are, e.g. from inside a Maven build's integration tests).
sa_build() {
  if [ -n "${SA_SKIP_BUILD:-}" ] && [ -f "$SA_JAR" ] && [ -f "$SA_CLASSPATH_FILE" ]; then
    return 0
  fi
  local stale=0
  [ -f "$SA_JAR" ] || stale=1
  if [ $stale -eq 0 ] && [ -n "$(find "$SA_ROOT/src/main" "$SA_ROOT/pom.xml" -newer "$SA_JAR" -print -quit 2>/dev/null)" ]; then
    stale=1
  fi
  if [ $stale -eq 1 ]; then
    echo "spark-attention: building the application jar for Spark $SA_SPARK (mvn package)..." >&2
    (cd "$SA_ROOT" && mvn -B -q "${SA_MVN_PROFILE[@]}" -DskipTests package) >&2 || { echo "error: build failed" >&2; exit 1; }
  fi
  if [ ! -f "$SA_CLASSPATH_FILE" ] || [ "$SA_ROOT/pom.xml" -nt "$SA_CLASSPATH_FILE" ]; then
    # includeScope=compile covers provided-scope Spark too, and leaves test jars out.
    (cd "$SA_ROOT" && mvn -B -q "${SA_MVN_PROFILE[@]}" dependency:build-classpath -DincludeScope=compile \
      -Dmdep.outputFile="$SA_CLASSPATH_FILE") >&2 || { echo "error: classpath build failed" >&2; exit 1; }
    # The plugin leaves an unchanged file as it was, older than the pom: without this every later
    # launch would run Maven again (5 s of each cold command).
    touch "$SA_CLASSPATH_FILE"
  fi
  sa_cds_fresh || sa_record_classes
}

# SA_SUBMIT: the java command line that runs Spark's SparkSubmit launcher on this JVM with the
# given JVM flags (the project's Java 17 flags, quiet logging, the Maven dependency classpath);
# spark-submit's arguments follow it. One command for jobs (launch_job) and the class recording.
sa_submit_command() {
  SA_SUBMIT=(java "${SA_JAVA17_FLAGS[@]}" "$@" -Dlog4j2.configurationFile="$SA_ROOT/conf/log4j2.properties"
    -cp "$(cat "$SA_CLASSPATH_FILE")" org.apache.spark.deploy.SparkSubmit)
}

# Whether the class-data-sharing archive is there and newer than the jar and the classpath.
sa_cds_fresh() {
  [ "${SA_CDS:-on}" = off ] || { [ "$SA_CDS_ARCHIVE" -nt "$SA_JAR" ] && [ "$SA_CDS_ARCHIVE" -nt "$SA_CLASSPATH_FILE" ]; }
}

# Records the classes a job loads into a class-data-sharing archive, once per build: a JVM that
# rehearses small jobs (io.sparkattention.job.StartupRehearsal) and stores them, parsed and
# verified, when it exits. Later drivers map the archive instead of loading the classes one by one
# (docs/performance.md: about 5 s less a cold command). The archive only serves the same JVM flags
# and classpath; a failed recording leaves none, and jobs start without it.
sa_record_classes() {
  echo "spark-attention: recording the classes jobs load, for faster starts (once per build, about 40 s)..." >&2
  rm -f "$SA_CDS_ARCHIVE"
  sa_submit_command -Xmx1g -XX:ArchiveClassesAtExit="$SA_CDS_ARCHIVE.tmp" -Xlog:cds=off -Xlog:cds+dynamic=off
  if "${SA_SUBMIT[@]}" --properties-file "$SA_ROOT/conf/spark-defaults.conf" "${SA_SPARK_JVM_CONF[@]}" \
    --master 'local[2]' --class io.sparkattention.job.StartupRehearsal "$SA_JAR" \
    "$SA_ROOT/sample-data/tokens.jsonl" >/dev/null 2>&1 && [ -s "$SA_CDS_ARCHIVE.tmp" ]; then
    mv "$SA_CDS_ARCHIVE.tmp" "$SA_CDS_ARCHIVE"
  else
    rm -f "$SA_CDS_ARCHIVE.tmp"
    echo "note: recording failed; jobs start without the archive (SA_CDS=off skips it)" >&2
  fi
}

# The driver JVM's flags: the archive when fresh (silent when the JVM cannot use it), and the
# parallel collector, which a batch job's throughput prefers on few cores (docs/performance.md),
# unless SA_DRIVER_JAVA_OPTS picks a collector (two would stop the JVM).
sa_driver_flags() {
  case "${SA_DRIVER_JAVA_OPTS:-}" in
    *-XX:+Use*GC*) ;;
    *) echo "-XX:+UseParallelGC" ;;
  esac
  if [ "${SA_CDS:-on}" != off ] && sa_cds_fresh; then
    echo "-XX:SharedArchiveFile=$SA_CDS_ARCHIVE -Xlog:cds=off -Xlog:cds+dynamic=off"
  fi
}

# launch_job MAIN_CLASS [spark-submit args --] [job args]
launch_job() {
  local main="$1"; shift
  local spark_args=() job_args=() seen_sep=0 a
  for a in "$@"; do
    if [ $seen_sep -eq 0 ] && [ "$a" = "--" ]; then seen_sep=1; continue; fi
    if [ $seen_sep -eq 1 ]; then job_args+=("$a"); else spark_args+=("$a"); fi
  done
  if [ $seen_sep -eq 0 ]; then job_args=("${spark_args[@]}"); spark_args=(); fi
  local has_master=0 driver_memory=1g prev=""
  for a in "${spark_args[@]}"; do
    case "$a" in
      --master|--master=*) has_master=1 ;;
      --driver-memory=*) driver_memory="${a#--driver-memory=}" ;;
    esac
    [ "$prev" = "--driver-memory" ] && driver_memory="$a"
    prev="$a"
  done
  [ $has_master -eq 1 ] || spark_args=(--master 'local[*]' "${spark_args[@]}")
  # Submitted to jobs/local-cluster's cluster: its secret goes with the properties (not the command
  # line, which every user can read).
  local props="$SA_ROOT/conf/spark-defaults.conf" master=""
  prev=""
  for a in "${spark_args[@]}"; do
    case "$a" in --master=*) master="${a#--master=}" ;; esac
    [ "$prev" = "--master" ] && master="$a"
    prev="$a"
  done
  if [ "$master" = "$(sa_cluster_url)" ]; then
    props="$(sa_cluster_submit_conf "$props")"
  fi
  export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
  export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
  sa_build
  if [ -n "${SPARK_HOME:-}" ]; then
    exec "$SPARK_HOME/bin/spark-submit" --properties-file "$props" \
      "${SA_SPARK_JVM_CONF[@]}" \
      --driver-java-options "-Dlog4j2.configurationFile=$SA_ROOT/conf/log4j2.properties" \
      "${spark_args[@]}" --class "$main" "$SA_JAR" "${job_args[@]}"
  fi
  # Without spark-submit's shell launcher the driver is this JVM: size it as --driver-memory
  # would (Spark's default is 1g).
  # shellcheck disable=SC2046,SC2086 # the flags are words
  sa_submit_command -Xmx"$driver_memory" $(sa_driver_flags) ${SA_DRIVER_JAVA_OPTS:-}
  exec "${SA_SUBMIT[@]}" --properties-file "$props" "${SA_SPARK_JVM_CONF[@]}" \
    "${spark_args[@]}" --class "$main" "$SA_JAR" "${job_args[@]}"
}

# The benchmarks' JVM flags for the authentication of jobs/local-cluster's cluster when their
# arguments (--master M or --master=M) name it: the path of its secret's properties (mode 0600),
# never the secret itself, which would show on the command line.
sa_bench_cluster_flags() {
  local prev="" a master=""
  for a in "$@"; do
    case "$a" in --master=*) master="${a#--master=}" ;; esac
    [ "$prev" = "--master" ] && master="$a"
    prev="$a"
  done
  if [ -n "$master" ] && [ "$master" = "$(sa_cluster_url)" ] && [ -r "$(sa_cluster_secret_conf)" ]; then
    echo "-Dsa.cluster.properties=$(sa_cluster_secret_conf)"
  fi
}

# The local cluster's URL and secret (jobs/local-cluster).
source "$SA_ROOT/jobs/lib/local-cluster.sh"
