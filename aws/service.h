/* aws/service.h - the AWS services we call and the wire protocols we speak.
 *
 * Shared by aws/client (which signs and sends) and aws/endpoint (which
 * names and locates each service), so neither has to include the other.
 * Per-service names (signing name, host prefix, environment variable)
 * live in aws/endpoint.h.  No dependencies.
 */
#ifndef SW_AWS_SERVICE_H
#define SW_AWS_SERVICE_H

enum sw_aws_service {
    SW_SVC_MONITORING = 0, /* CloudWatch: signing name "monitoring",
                              AWS_ENDPOINT_URL_CLOUDWATCH */
    SW_SVC_SNS,            /* "sns", AWS_ENDPOINT_URL_SNS */
    SW_SVC_STS,            /* "sts", AWS_ENDPOINT_URL_STS */
    SW_SVC_KINESIS,        /* "kinesis", AWS_ENDPOINT_URL_KINESIS */
    SW_SVC_COUNT
};

enum sw_aws_proto {
    SW_PROTO_JSON10 = 0, /* X-Amz-Target, application/x-amz-json-1.0 */
    SW_PROTO_JSON11,     /* application/x-amz-json-1.1 (Kinesis) */
    SW_PROTO_QUERY,      /* form POST, XML replies (SNS, STS) */
};

#endif
