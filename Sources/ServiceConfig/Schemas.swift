// The complete field names of the kinds svcproxy checks strictly: Service (v1), Endpoints
// (v1), Secret (v1), EndpointSlice (discovery.k8s.io/v1), NetworkPolicy, Ingress and IngressClass
// (networking.k8s.io/v1), List, and our ProxyConfiguration, with `metadata` and `status` as the API server returns them,
// so that `kubectl get -o yaml` output loads unchanged. From the Kubernetes API reference.

enum Schemas {
    private static func object(_ fields: [String: Schema]) -> Schema { .object(fields) }
    private static let strings: Schema = .list(.scalar)
    private static let labels: Schema = .map(.scalar)

    static let objectReference = object([
        "apiVersion": .scalar, "fieldPath": .scalar, "kind": .scalar, "name": .scalar,
        "namespace": .scalar, "resourceVersion": .scalar, "uid": .scalar,
    ])

    static let objectMeta = object([
        "annotations": labels, "creationTimestamp": .scalar, "deletionGracePeriodSeconds": .scalar,
        "deletionTimestamp": .scalar, "finalizers": strings, "generateName": .scalar, "generation": .scalar,
        "labels": labels, "name": .scalar, "namespace": .scalar, "resourceVersion": .scalar,
        "selfLink": .scalar, "uid": .scalar,
        "ownerReferences": .list(object([
            "apiVersion": .scalar, "blockOwnerDeletion": .scalar, "controller": .scalar, "kind": .scalar,
            "name": .scalar, "uid": .scalar,
        ])),
        "managedFields": .list(object([
            "apiVersion": .scalar, "fieldsType": .scalar, "fieldsV1": .any, "manager": .scalar,
            "operation": .scalar, "subresource": .scalar, "time": .scalar,
        ])),
    ])

    static let condition = object([
        "lastTransitionTime": .scalar, "message": .scalar, "observedGeneration": .scalar, "reason": .scalar,
        "status": .scalar, "type": .scalar,
    ])

    private static func kind(_ fields: [String: Schema]) -> Schema {
        object(fields.merging(["apiVersion": .scalar, "kind": .scalar, "metadata": objectMeta]) { own, _ in own })
    }

    /// `status.loadBalancer` of a Service, or (without `ipMode`) of an Ingress.
    private static func loadBalancerStatus(_ extra: [String: Schema]) -> Schema {
        object([
            "ingress": .list(object(extra.merging([
                "hostname": .scalar, "ip": .scalar,
                "ports": .list(object(["error": .scalar, "port": .scalar, "protocol": .scalar])),
            ]) { own, _ in own })),
        ])
    }

    static let service = kind([
        "spec": object([
            "allocateLoadBalancerNodePorts": .scalar, "clusterIP": .scalar, "clusterIPs": strings,
            "externalIPs": strings, "externalName": .scalar, "externalTrafficPolicy": .scalar,
            "healthCheckNodePort": .scalar, "internalTrafficPolicy": .scalar, "ipFamilies": strings,
            "ipFamilyPolicy": .scalar, "loadBalancerClass": .scalar, "loadBalancerIP": .scalar,
            "loadBalancerSourceRanges": strings, "publishNotReadyAddresses": .scalar, "selector": labels,
            "sessionAffinity": .scalar, "trafficDistribution": .scalar, "type": .scalar,
            "ports": .list(object([
                "appProtocol": .scalar, "name": .scalar, "nodePort": .scalar, "port": .scalar,
                "protocol": .scalar, "targetPort": .scalar,
            ])),
            "sessionAffinityConfig": object(["clientIP": object(["timeoutSeconds": .scalar])]),
        ]),
        "status": object([
            "conditions": .list(condition),
            "loadBalancer": loadBalancerStatus(["ipMode": .scalar]),
        ]),
    ])

    private static let endpointAddress = object([
        "hostname": .scalar, "ip": .scalar, "nodeName": .scalar, "targetRef": objectReference,
    ])
    private static let endpointPort = object(["appProtocol": .scalar, "name": .scalar, "port": .scalar, "protocol": .scalar])

    static let endpoints = kind([
        "subsets": .list(object([
            "addresses": .list(endpointAddress), "notReadyAddresses": .list(endpointAddress),
            "ports": .list(endpointPort),
        ])),
    ])

    static let endpointSlice = kind([
        "addressType": .scalar,
        "endpoints": .list(object([
            "addresses": strings, "deprecatedTopology": labels, "hostname": .scalar, "nodeName": .scalar,
            "targetRef": objectReference, "zone": .scalar,
            "conditions": object(["ready": .scalar, "serving": .scalar, "terminating": .scalar]),
            "hints": object([
                "forNodes": .list(object(["name": .scalar])), "forZones": .list(object(["name": .scalar])),
            ]),
        ])),
        "ports": .list(endpointPort),
    ])

    private static let labelSelector = object([
        "matchLabels": labels,
        "matchExpressions": .list(object(["key": .scalar, "operator": .scalar, "values": strings])),
    ])
    private static let policyPeer = object([
        "ipBlock": object(["cidr": .scalar, "except": strings]),
        "namespaceSelector": labelSelector, "podSelector": labelSelector,
    ])
    private static let policyPort = object(["endPort": .scalar, "port": .scalar, "protocol": .scalar])

    static let networkPolicy = kind([
        "spec": object([
            "podSelector": labelSelector, "policyTypes": strings,
            "ingress": .list(object(["from": .list(policyPeer), "ports": .list(policyPort)])),
            "egress": .list(object(["ports": .list(policyPort), "to": .list(policyPeer)])),
        ]),
        "status": object(["conditions": .list(condition)]),
    ])

    private static let ingressBackend = object([
        "resource": object(["apiGroup": .scalar, "kind": .scalar, "name": .scalar]),
        "service": object(["name": .scalar, "port": object(["name": .scalar, "number": .scalar])]),
    ])

    static let ingress = kind([
        "spec": object([
            "defaultBackend": ingressBackend, "ingressClassName": .scalar,
            "rules": .list(object([
                "host": .scalar,
                "http": object(["paths": .list(object(["backend": ingressBackend, "path": .scalar, "pathType": .scalar]))]),
            ])),
            "tls": .list(object(["hosts": strings, "secretName": .scalar])),
        ]),
        "status": object(["loadBalancer": loadBalancerStatus([:])]),
    ])

    static let ingressClass = kind([
        "spec": object([
            "controller": .scalar,
            "parameters": object(["apiGroup": .scalar, "kind": .scalar, "name": .scalar, "namespace": .scalar, "scope": .scalar]),
        ]),
    ])

    /// Every type of Secret has this shape; only `kubernetes.io/tls` ones are read further.
    static let secret = kind(["data": labels, "immutable": .scalar, "stringData": labels, "type": .scalar])

    static let namespace = kind([
        "spec": object(["finalizers": strings]),
        "status": object(["conditions": .list(condition), "phase": .scalar]),
    ])

    static let list = object([
        "apiVersion": .scalar, "kind": .scalar, "items": .list(.any),
        "metadata": object(["continue": .scalar, "remainingItemCount": .scalar, "resourceVersion": .scalar, "selfLink": .scalar]),
    ])

    static let proxyConfiguration = kind([
        "clusterDomain": .scalar, "connectTimeout": .scalar, "defaultSSLCertificate": .scalar, "dnsBindAddresses": strings,
        "dnsTTL": .scalar, "dnsUDPSize": .scalar, "dnsUpstreams": strings, "halfCloseTimeout": .scalar, "healthzBindAddress": .scalar, "hostnameOverride": .scalar,
        "idleTimeout": .scalar, "ingressClass": .scalar, "ingressClientHeaderTimeout": .scalar, "ingressHTTPBindAddresses": strings,
        "ingressHTTPSBindAddresses": strings, "ingressTLSHandshakeTimeout": .scalar, "ingressUpstreamTimeout": .scalar,
        "loadBalancerAddresses": strings, "loadBalancerIPPools": .list(object(["addresses": strings, "name": .scalar])), "maxConnections": .scalar, "metricsBindAddress": .scalar, "nodePortAddresses": strings,
        "serviceClusterIPRange": .scalar, "serviceNodePortRange": .scalar, "udpMaxFlows": .scalar, "udpTimeout": .scalar,
        "workers": .scalar,
    ])
}
