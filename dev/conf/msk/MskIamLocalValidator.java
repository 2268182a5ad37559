package dev.kplan.stack;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;

/**
 * The local stack's stand-in for AWS MSK's IAM check, on the broker's MSK listener (OAUTHBEARER): it accepts a token
 * made by AWS's MSK signer library (aws-msk-iam-sasl-signer-python) - a base64url presigned URL for
 * https://kafka.REGION.amazonaws.com/?Action=kafka-cluster:Connect - when its shape is right, its credential scope names
 * the host's region and the kafka-cluster service, and it has not expired. The principal is the access key id.
 * It cannot check the SigV4 signature (that takes AWS's view of the secret key): only MSK itself does.
 */
public class MskIamLocalValidator implements AuthenticateCallbackHandler {
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    @Override
    public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaas) {
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

    private static void validate(OAuthBearerValidatorCallback cb) {
        try {
            String url = new String(Base64.getUrlDecoder().decode(cb.tokenValue()), StandardCharsets.UTF_8);
            URI uri = URI.create(url);
            Map<String, String> q = new HashMap<>();
            for (String pair : uri.getRawQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                q.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                      kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
            String host = uri.getHost();
            String[] scope = q.getOrDefault("X-Amz-Credential", "").split("/");
            if (!"https".equals(uri.getScheme()) || host == null || !host.matches("kafka\\.[a-z0-9-]+\\.amazonaws\\.com")
                    || !"kafka-cluster:Connect".equals(q.get("Action"))
                    || !"AWS4-HMAC-SHA256".equals(q.get("X-Amz-Algorithm"))
                    || !q.getOrDefault("X-Amz-Signature", "").matches("[0-9a-f]{64}")
                    || scope.length != 5 || !host.equals("kafka." + scope[2] + ".amazonaws.com")
                    || !"kafka-cluster".equals(scope[3]) || !"aws4_request".equals(scope[4])) {
                cb.error("invalid_token", null, null);
                return;
            }
            long start = LocalDateTime.parse(q.get("X-Amz-Date"), AMZ_DATE).toInstant(ZoneOffset.UTC).toEpochMilli();
            long expiry = start + Long.parseLong(q.get("X-Amz-Expires")) * 1000L;
            if (System.currentTimeMillis() > expiry) {
                cb.error("invalid_token", null, null);
                return;
            }
            String value = cb.tokenValue();
            String principal = scope[0];
            cb.token(new OAuthBearerToken() {
                public String value() { return value; }
                public Set<String> scope() { return Set.of(); }
                public long lifetimeMs() { return expiry; }
                public String principalName() { return principal; }
                public Long startTimeMs() { return start; }
            });
        } catch (RuntimeException e) {
            cb.error("invalid_token", null, null);
        }
    }

    @Override
    public void close() {
    }
}
