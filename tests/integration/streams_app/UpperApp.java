// A small Kafka Streams application for tests/integration/test_streams_app.py: it upper-cases each input record's
// value into the output topic, and counts values through a repartition and a changelog topic (its internal topics).
// Its settings (application.id, bootstrap, SASL_SSL login, exactly once...) come from the properties file named
// by its first argument; app.input and app.output name its topics. It prints each state change ("STATE RUNNING")
// and the exception that stops it ("FATAL ..."), and exits with status 3 when it stops.
import java.io.FileReader;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

public class UpperApp {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (FileReader r = new FileReader(args[0])) {
            props.load(r);
        }
        String input = props.getProperty("app.input");
        String output = props.getProperty("app.output");
        StreamsBuilder builder = new StreamsBuilder();
        KStream<String, String> in = builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()));
        in.mapValues(v -> v.toUpperCase()).to(output, Produced.with(Serdes.String(), Serdes.String()));
        in.groupBy((k, v) -> v, Grouped.with("by-value", Serdes.String(), Serdes.String()))
          .count(Materialized.<String, Long>as(Stores.inMemoryKeyValueStore("counts"))
                 .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
          .toStream().mapValues(c -> "count=" + c).to(output, Produced.with(Serdes.String(), Serdes.String()));
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        CountDownLatch stopped = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            System.out.println("STATE " + now);
            System.out.flush();
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            System.out.println("FATAL " + e + " / " + root);
            System.out.flush();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> streams.close(Duration.ofSeconds(5))));
        streams.start();
        stopped.await();
        streams.close(Duration.ofSeconds(5));
        System.exit(3);
    }
}
