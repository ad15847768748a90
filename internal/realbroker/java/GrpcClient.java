import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.FilterExpressionType;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;

/**
 * A 5.x application of the gRPC client, driven line by line on stdin by the
 * Go test harness (internal/realbroker, GRPCClient). Every command gets one
 * answer line on stdout, "@@ ok [n]" or "@@ err <why>"; anything else the
 * client library prints is not an answer.
 *
 * Commands:
 *   produce TOPIC N              send N messages, answer N
 *   simple GROUP TOPIC           start a SimpleConsumer (it consumes by POP)
 *   receive GROUP MAX SECS MODE  one receive of up to MAX messages invisible
 *                                for SECS; MODE ack acks them, keep holds
 *                                them unacknowledged; answer how many came
 *   ackkept GROUP                ack what receive kept; answer how many
 *   nackkept GROUP SECS          make what receive kept visible again in SECS
 *                                (CHANGE_INVISIBLETIME, as a failed message);
 *                                answer how many
 *   push GROUP TOPIC             start a PushConsumer that acks everything
 *   consumed GROUP               messages the PushConsumer got so far
 *   close GROUP                  close the group's consumer
 *   quit                         close everything and exit
 */
public final class GrpcClient {
    private final ClientServiceProvider provider = ClientServiceProvider.loadService();
    private final ClientConfiguration config;
    private final Map<String, Producer> producers = new HashMap<>();
    private final Map<String, SimpleConsumer> simple = new HashMap<>();
    private final Map<String, List<MessageView>> kept = new HashMap<>();
    private final Map<String, PushConsumer> push = new HashMap<>();
    private final Map<String, AtomicLong> consumed = new HashMap<>();

    private GrpcClient(String endpoints) {
        // The proxy is started without TLS; a long request timeout rides
        // out a loaded test machine.
        config = ClientConfiguration.newBuilder().setEndpoints(endpoints).enableSsl(false)
            .setRequestTimeout(Duration.ofSeconds(20)).build();
    }

    public static void main(String[] args) throws Exception {
        GrpcClient c = new GrpcClient(args[0]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        answer("ok ready");
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("quit")) {
                break;
            }
            try {
                answer("ok " + c.run(f));
            } catch (Throwable t) {
                answer("err " + String.valueOf(t).replace('\n', ' '));
            }
        }
        c.closeAll();
        answer("ok bye");
        System.exit(0);
    }

    private static synchronized void answer(String s) {
        System.out.println("@@ " + s);
        System.out.flush();
    }

    private long run(String[] f) throws Exception {
        switch (f[0]) {
            case "produce":
                return produce(f[1], Integer.parseInt(f[2]));
            case "simple":
                simple.put(f[1], provider.newSimpleConsumerBuilder().setClientConfiguration(config)
                    .setConsumerGroup(f[1]).setAwaitDuration(Duration.ofSeconds(2))
                    .setSubscriptionExpressions(subscription(f[2])).build());
                return 0;
            case "receive":
                return receive(f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[4].equals("ack"));
            case "ackkept":
                return ackKept(f[1]);
            case "nackkept":
                return nackKept(f[1], Integer.parseInt(f[2]));
            case "push":
                return startPush(f[1], f[2]);
            case "consumed":
                return counter(f[1]).get();
            case "close":
                return close(f[1]);
            default:
                throw new IllegalArgumentException("unknown command " + f[0]);
        }
    }

    private static Map<String, FilterExpression> subscription(String topic) {
        return Collections.singletonMap(topic, new FilterExpression("*", FilterExpressionType.TAG));
    }

    private long produce(String topic, int n) throws Exception {
        Producer p = producers.get(topic);
        if (p == null) {
            p = provider.newProducerBuilder().setClientConfiguration(config).setTopics(topic).build();
            producers.put(topic, p);
        }
        for (int i = 0; i < n; i++) {
            p.send(provider.newMessageBuilder().setTopic(topic).setTag("t")
                .setBody(("grpc message " + i).getBytes(StandardCharsets.UTF_8)).build());
        }
        return n;
    }

    private long receive(String group, int max, int secs, boolean ack) throws Exception {
        SimpleConsumer c = simple.get(group);
        List<MessageView> got = c.receive(max, Duration.ofSeconds(secs));
        for (MessageView m : got) {
            if (ack) {
                c.ack(m);
            } else {
                kept.computeIfAbsent(group, g -> new ArrayList<>()).add(m);
            }
        }
        return got.size();
    }

    private long ackKept(String group) throws Exception {
        List<MessageView> ms = kept.remove(group);
        if (ms == null) {
            return 0;
        }
        for (MessageView m : ms) {
            simple.get(group).ack(m);
        }
        return ms.size();
    }

    private long nackKept(String group, int secs) throws Exception {
        List<MessageView> ms = kept.remove(group);
        if (ms == null) {
            return 0;
        }
        for (MessageView m : ms) {
            simple.get(group).changeInvisibleDuration(m, Duration.ofSeconds(secs));
        }
        return ms.size();
    }

    private synchronized AtomicLong counter(String group) {
        return consumed.computeIfAbsent(group, g -> new AtomicLong());
    }

    private long startPush(String group, String topic) throws Exception {
        AtomicLong n = counter(group);
        push.put(group, provider.newPushConsumerBuilder().setClientConfiguration(config)
            .setConsumerGroup(group).setSubscriptionExpressions(subscription(topic))
            .setMessageListener(m -> {
                n.incrementAndGet();
                return ConsumeResult.SUCCESS;
            }).build());
        return 0;
    }

    private long close(String group) throws Exception {
        SimpleConsumer s = simple.remove(group);
        if (s != null) {
            s.close();
        }
        PushConsumer p = push.remove(group);
        if (p != null) {
            p.close();
        }
        return 0;
    }

    private void closeAll() {
        for (String g : new ArrayList<>(simple.keySet())) {
            quietly(g);
        }
        for (String g : new ArrayList<>(push.keySet())) {
            quietly(g);
        }
        for (Producer p : producers.values()) {
            try {
                p.close();
            } catch (Exception e) {
                // exiting anyway
            }
        }
    }

    private void quietly(String group) {
        try {
            close(group);
        } catch (Exception e) {
            // exiting anyway
        }
    }
}
