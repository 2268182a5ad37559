package dev.kplan.stack;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local stack's stand-in for AWS MSK's IAM check, on the broker's MSK listener (OAUTHBEARER). The token is what
 * AWS's MSK signer library (aws-msk-iam-sasl-signer-python) makes: a base64url presigned URL
 * https://kafka.REGION.amazonaws.com/?Action=kafka-cluster:Connect&X-Amz-...&X-Amz-Signature=..., signed with SigV4.
 *
 * This handler knows one region and one key pair (the JAAS options region, accessKeyId, secretAccessKey, set in
 * dev/conf/broker.properties) and accepts a token only when it recomputes the same SigV4 signature from that secret
 * key: so a token signed with another secret, for another region or service, expired, not yet valid, or with any
 * signed field changed is refused. The principal is the access key id. What it does not do is AWS's side beyond
 * the signature: IAM policies, session tokens checked with STS (a token carrying X-Amz-Security-Token is refused).
 */
public class MskIamLocalValidator implements AuthenticateCallbackHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MskIamLocalValidator.class);
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final String SERVICE = "kafka-cluster";
    private static final long MAX_EXPIRES_S = 7 * 24 * 3600; // SigV4's limit for a presigned URL
    private static final long CLOCK_SKEW_MS = 5 * 60 * 1000; // SigV4's tolerance for a date in the future
    // SHA-256 of the empty body: botocore signs the (empty) payload of an https presigned request
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    // The signed query parameters of a token: anything else (the signer's User-Agent, appended after signing) is not
    private static final Set<String> SIGNED = Set.of("Action", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
            "X-Amz-Expires", "X-Amz-SignedHeaders");

    private String region;
    private String accessKeyId;
    private byte[] secretKey;

    @Override
    public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaas) {
        for (AppConfigurationEntry entry : jaas) {
            Map<String, ?> options = entry.getOptions();
            region = (String) options.get("region");
            accessKeyId = (String) options.get("accessKeyId");
            String secret = (String) options.get("secretAccessKey");
            secretKey = secret == null ? null : ("AWS4" + secret).getBytes(StandardCharsets.UTF_8);
        }
        if (region == null || accessKeyId == null || secretKey == null) {
            throw new IllegalArgumentException("MskIamLocalValidator needs the JAAS options region, accessKeyId and "
                    + "secretAccessKey on the listener's OAuthBearerLoginModule");
        }
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback cb : callbacks) {
            if (cb instanceof OAuthBearerValidatorCallback) {
                validate((OAuthBearerValidatorCallback) cb);
            } else if (cb instanceof OAuthBearerExtensionsValidatorCallback) {
                OAuthBearerExtensionsValidatorCallback ext = (OAuthBearerExtensionsValidatorCallback) cb;
                ext.inputExtensions().map().keySet().forEach(ext::valid);
            } else {
                throw new UnsupportedCallbackException(cb);
            }
        }
    }

    /** Why a token is refused: logged by the broker (never the token or the key), not told to the client. */
    private static final class Refused extends Exception {
        Refused(String why) {
            super(why);
        }
    }

    private void validate(OAuthBearerValidatorCallback cb) {
        try {
            cb.token(check(cb.tokenValue(), System.currentTimeMillis()));
        } catch (Refused e) {
            LOG.warn("MSK IAM token refused: {}", e.getMessage());
            cb.error("invalid_token", null, null);
        } catch (RuntimeException e) {
            LOG.warn("MSK IAM token refused: unreadable ({})", e.getClass().getSimpleName());
            cb.error("invalid_token", null, null);
        }
    }

    private OAuthBearerToken check(String token, long nowMs) throws Refused {
        URI uri = URI.create(new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8));
        Map<String, String> q = new TreeMap<>(); // sorted by name: the canonical query's order
        String raw = uri.getRawQuery();
        if (raw == null) {
            throw new Refused("no query");
        }
        for (String pair : raw.split("&")) {
            String[] kv = pair.split("=", 2);
            String name = URLDecoder.decode(kv[0], StandardCharsets.UTF_8);
            if (q.put(name, kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "") != null) {
                throw new Refused("parameter " + name + " given twice");
            }
        }
        String host = "kafka." + region + ".amazonaws.com";
        if (!"https".equals(uri.getScheme()) || !host.equals(uri.getRawAuthority())
                || !("/".equals(uri.getRawPath()) || "".equals(uri.getRawPath())) || uri.getRawFragment() != null) {
            throw new Refused("not a URL of " + host);
        }
        for (String name : q.keySet()) {
            if (!SIGNED.contains(name) && !"X-Amz-Signature".equals(name) && !"User-Agent".equals(name)) {
                throw new Refused("unexpected parameter " + name);
            }
        }
        for (String name : SIGNED) {
            if (!q.containsKey(name)) {
                throw new Refused("missing parameter " + name);
            }
        }
        if (!"kafka-cluster:Connect".equals(q.get("Action")) || !"AWS4-HMAC-SHA256".equals(q.get("X-Amz-Algorithm"))
                || !"host".equals(q.get("X-Amz-SignedHeaders"))) {
            throw new Refused("not a SigV4 kafka-cluster:Connect request signing the host header");
        }
        String amzDate = q.get("X-Amz-Date");
        String[] scope = q.get("X-Amz-Credential").split("/", -1);
        if (scope.length != 5 || !amzDate.matches("\\d{8}T\\d{6}Z") || !scope[1].equals(amzDate.substring(0, 8))
                || !SERVICE.equals(scope[3]) || !"aws4_request".equals(scope[4])) {
            throw new Refused("credential scope is not KEY/DATE/REGION/kafka-cluster/aws4_request for X-Amz-Date");
        }
        if (!region.equals(scope[2])) {
            throw new Refused("signed for region " + scope[2] + ", this cluster is in " + region);
        }
        if (!accessKeyId.equals(scope[0])) {
            throw new Refused("unknown access key id " + scope[0]);
        }
        long start = LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC).toEpochMilli();
        long expires = Long.parseLong(q.get("X-Amz-Expires"));
        if (expires < 1 || expires > MAX_EXPIRES_S) {
            throw new Refused("X-Amz-Expires out of range: " + expires);
        }
        long expiry = start + expires * 1000L;
        if (nowMs >= expiry) {
            throw new Refused("expired at " + amzDate + " + " + expires + " s");
        }
        if (start > nowMs + CLOCK_SKEW_MS) {
            throw new Refused("signed in the future: " + amzDate);
        }
        String signature = q.getOrDefault("X-Amz-Signature", "");
        if (!MessageDigest.isEqual(signature.getBytes(StandardCharsets.US_ASCII),
                sign(host, q, amzDate, scope[1]).getBytes(StandardCharsets.US_ASCII))) {
            throw new Refused("signature does not match (another secret key, or a signed field changed)");
        }
        String principal = scope[0];
        return new OAuthBearerToken() {
            public String value() { return token; }
            public Set<String> scope() { return Set.of(); }
            public long lifetimeMs() { return expiry; }
            public String principalName() { return principal; }
            public Long startTimeMs() { return start; }
        };
    }

    /** The SigV4 signature (hex) of GET https://HOST/?<the signed parameters> with this handler's secret key. */
    private String sign(String host, Map<String, String> q, String amzDate, String day) {
        StringBuilder query = new StringBuilder();
        for (Map.Entry<String, String> e : q.entrySet()) { // TreeMap: by name, as SigV4 sorts them
            if (SIGNED.contains(e.getKey())) {
                query.append(query.length() == 0 ? "" : "&").append(encode(e.getKey())).append('=')
                        .append(encode(e.getValue()));
            }
        }
        String canonicalRequest = String.join("\n", "GET", "/", query, "host:" + host, "", "host", EMPTY_SHA256);
        String scope = day + "/" + region + "/" + SERVICE + "/aws4_request";
        String toSign = String.join("\n", "AWS4-HMAC-SHA256", amzDate, scope, hex(sha256(canonicalRequest)));
        byte[] key = hmac(secretKey, day);
        key = hmac(key, region);
        key = hmac(key, SERVICE);
        key = hmac(key, "aws4_request");
        return hex(hmac(key, toSign));
    }

    /** SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XY (upper-case hex). */
    static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] hmac(byte[] key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b & 0xff));
        }
        return out.toString();
    }

    @Override
    public void close() {
    }
}
