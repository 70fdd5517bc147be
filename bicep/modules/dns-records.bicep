// The mail domain's records: rendered always (the DNS_RECORDS output says what to publish), created in the user's
// Azure DNS zone for the domain when one is given. Deployed into the zone's resource group, which must not be the
// MTA's own: azd down deletes that one whole.
//
// The MX records name each edge's Azure name (<label>.<region>.azurecontainer.io), which Azure keeps pointing at the
// group's current address: a group's IP address can change when the group restarts or moves to another host, and
// an A record written at deployment time would then send mail to an address that may by then be someone else's.
// MX targets must not be aliases (RFC 2181 section 10.3), so the friendly names mx1.<domain>, ... are CNAMEs for
// the submission ports and the edges' certificate, and the MX records list the Azure names themselves.

param zoneName string

@description('Create the records in the zone (zoneName, in this deployment\'s resource group); false: only render them.')
param createRecords bool

@description('Labels of the edges\' friendly names in the zone: mx1, mx2, ...')
param edgeHostLabels string[]

@description('The edges\' Azure names, in the order of edgeHostLabels.')
param edgeFqdns string[]

@description('The smarthost\'s SPF domain; empty: no SPF record.')
param spfInclude string

@description('More TXT values at the zone apex (domain verifications): Azure DNS keeps one TXT record set per name, and this deployment writes the apex\'s.')
param apexTxtValues string[]

var ttl = 3600
var mxPreference = 10
var apexTxt = concat(empty(spfInclude) ? [] : ['v=spf1 include:${spfInclude} -all'], apexTxtValues)

resource zone 'Microsoft.Network/dnsZones@2018-05-01' existing = if (createRecords) {
  name: zoneName
}

resource edgeNames 'Microsoft.Network/dnsZones/CNAME@2018-05-01' = [
  for (label, i) in edgeHostLabels: if (createRecords) {
    parent: zone
    name: label
    properties: {
      TTL: ttl
      CNAMERecord: {
        cname: edgeFqdns[i]
      }
    }
  }
]

resource mx 'Microsoft.Network/dnsZones/MX@2018-05-01' = if (createRecords) {
  parent: zone
  name: '@'
  properties: {
    TTL: ttl
    MXRecords: [
      for fqdn in edgeFqdns: {
        preference: mxPreference
        exchange: fqdn
      }
    ]
  }
}

resource txt 'Microsoft.Network/dnsZones/TXT@2018-05-01' = if (createRecords && !empty(apexTxt)) {
  parent: zone
  name: '@'
  properties: {
    TTL: ttl
    TXTRecords: [
      for value in apexTxt: {
        value: [value]
      }
    ]
  }
}

var cnameLines = [for (label, i) in edgeHostLabels: '${label}.${zoneName}. ${ttl} IN CNAME ${edgeFqdns[i]}.']
var mxLines = [for fqdn in edgeFqdns: '${zoneName}. ${ttl} IN MX ${mxPreference} ${fqdn}.']
var txtLines = [for value in apexTxt: '${zoneName}. ${ttl} IN TXT "${value}"']

@description('The records in zone-file form, for a zone elsewhere or to check the ones created.')
output records string[] = concat(cnameLines, mxLines, txtLines)
