namespace Alerting.Server.Tests.ReadApi;

/// <summary>
/// Responses of a real Prometheus 2.42.0 (Debian's package), recorded with three alerting rules
/// (one firing, one pending with <c>for: 1h</c>, one inactive) at an evaluation interval of 1 s:
/// the shape our <c>/api/v1/rules</c> and <c>/api/v1/alerts</c> must have.
/// </summary>
internal static class PrometheusRecordedResponses
{
    /// <summary><c>/api/v1/status/buildinfo</c> of Debian's prometheus 2.42.0 package.</summary>
    public const string BuildInfo = """
        {"status":"success","data":{"version":"2.42.0+ds","revision":"2.42.0+ds-5+deb12u1","branch":"debian/sid","buildUser":"team+pkg-go@tracker.debian.org","buildDate":"20260604-00:58:54","goVersion":"go1.19.8"}}
        """;

    public const string Rules = """
        {
          "status": "success",
          "data": {
            "groups": [
              {
                "name": "g",
                "file": "rules.yml",
                "rules": [
                  {
                    "state": "firing",
                    "name": "Firing",
                    "query": "vector(1) > 0",
                    "duration": 0,
                    "keepFiringFor": 0,
                    "labels": {
                      "severity": "critical"
                    },
                    "annotations": {
                      "message": "hi"
                    },
                    "alerts": [
                      {
                        "labels": {
                          "alertname": "Firing",
                          "severity": "critical"
                        },
                        "annotations": {
                          "message": "hi"
                        },
                        "state": "firing",
                        "activeAt": "2026-11-30T20:14:33.632510205Z",
                        "value": "1e+00"
                      }
                    ],
                    "health": "ok",
                    "evaluationTime": 0.000639754,
                    "lastEvaluation": "2026-11-30T20:14:36.632905397Z",
                    "type": "alerting"
                  },
                  {
                    "state": "pending",
                    "name": "Pending",
                    "query": "vector(2) > 0",
                    "duration": 3600,
                    "keepFiringFor": 0,
                    "labels": {},
                    "annotations": {},
                    "alerts": [
                      {
                        "labels": {
                          "alertname": "Pending"
                        },
                        "annotations": {},
                        "state": "pending",
                        "activeAt": "2026-11-30T20:14:33.632510205Z",
                        "value": "2e+00"
                      }
                    ],
                    "health": "ok",
                    "evaluationTime": 0.000135169,
                    "lastEvaluation": "2026-11-30T20:14:36.633551773Z",
                    "type": "alerting"
                  },
                  {
                    "state": "inactive",
                    "name": "Inactive",
                    "query": "vector(1) < 0",
                    "duration": 0,
                    "keepFiringFor": 0,
                    "labels": {},
                    "annotations": {},
                    "alerts": [],
                    "health": "ok",
                    "evaluationTime": 5.4484e-05,
                    "lastEvaluation": "2026-11-30T20:14:36.633688856Z",
                    "type": "alerting"
                  }
                ],
                "interval": 1,
                "limit": 0,
                "evaluationTime": 0.000864073,
                "lastEvaluation": "2026-11-30T20:14:36.632881875Z"
              }
            ]
          }
        }
        """;

    public const string Alerts = """
        {
          "status": "success",
          "data": {
            "alerts": [
              {
                "labels": {
                  "alertname": "Firing",
                  "severity": "critical"
                },
                "annotations": {
                  "message": "hi"
                },
                "state": "firing",
                "activeAt": "2026-11-30T20:14:33.632510205Z",
                "value": "1e+00"
              },
              {
                "labels": {
                  "alertname": "Pending"
                },
                "annotations": {},
                "state": "pending",
                "activeAt": "2026-11-30T20:14:33.632510205Z",
                "value": "2e+00"
              }
            ]
          }
        }
        """;
}
