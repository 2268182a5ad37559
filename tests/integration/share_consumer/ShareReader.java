// A small share consumer (KIP-932, Kafka's KafkaShareConsumer) for tests/integration/test_share_groups.py: it joins
// the share group named by its first argument, subscribes to the topic named by its second and reads from the
// bootstrap servers of its third, printing "RECORD <partition> <offset> <value>" for each record it gets (each is
// acknowledged when the next poll runs: the default implicit acknowledgement) and "POLLED" after its first poll. It
// runs until it is stopped (SIGTERM: it leaves the group, prints "STOPPED" and exits).
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ShareReader {
    public static void main(String[] args) {
        Properties props = new Properties();
        props.put("group.id", args[0]);
        props.put("bootstrap.servers", args[2]);
        props.put("client.id", "share-reader-" + args[0]);
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(props)) {
            Thread main = Thread.currentThread();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                consumer.wakeup();  // then wait for the consumer to leave the group (so it is Empty at once)
                try {
                    main.join(20000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            consumer.subscribe(List.of(args[1]));
            boolean first = true;
            while (true) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, String> r : records) {
                    System.out.println("RECORD " + r.partition() + " " + r.offset() + " " + r.value());
                }
                if (first) {
                    System.out.println("POLLED");
                    first = false;
                }
                System.out.flush();
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // stopped: closing the consumer (the try's end) leaves the group
        }
        System.out.println("STOPPED");
        System.out.flush();
    }
}
