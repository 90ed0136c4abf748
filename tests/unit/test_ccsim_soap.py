"""The simulator's wire format: the XML of every request and response, faults, and bad input."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from cclab.ccsim.soap import (
    NS,
    OPERATIONS,
    SOAP_ENV_NS,
    TRANSITIONS,
    Fault,
    Message,
    ServiceId,
    ServiceStatus,
    SoapError,
    SoapFaultError,
    decode,
    decode_fault,
    encode,
    encode_fault,
    operation_from_soap_action,
    reply,
    soap_action,
)

CLUSTER = ServiceId(partition="c1", type="cluster", name="cc1_c1",
                    uris=("http://10.231.45.11:8774/axis2/services/EucalyptusCC",))
STOCK_ASK = ServiceId(type="cc", name="self", uris=("http://localhost:8774",))
STATUS = ServiceStatus(service_id=CLUSTER, local_state="ENABLED", local_epoch=0, details=("ERRORS=0",))
ENV = f"{{{SOAP_ENV_NS}}}"
EUCA = f"{{{NS}}}"


def payload(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == ENV + "Envelope"
    (soap_body,) = list(root)
    assert soap_body.tag == ENV + "Body"
    (element,) = list(soap_body)
    return element


def child_names(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def test_soap_actions_name_the_service_and_operation() -> None:
    assert [soap_action(op) for op in OPERATIONS] == [
        "EucalyptusCC#DescribeServices", "EucalyptusCC#EnableService", "EucalyptusCC#DisableService",
        "EucalyptusCC#StartService", "EucalyptusCC#StopService", "EucalyptusCC#ShutdownService"]
    assert Message("StopService").soap_action == "EucalyptusCC#StopService"
    assert operation_from_soap_action('"EucalyptusCC#EnableService"') == "EnableService"
    assert operation_from_soap_action("EucalyptusCC#EnableService") == "EnableService"
    assert operation_from_soap_action("") is None and operation_from_soap_action(None) is None
    with pytest.raises(SoapError, match="unknown SOAPAction"):
        operation_from_soap_action("EucalyptusNC#DescribeServices")


def test_describe_services_request_is_exact_qualified_xml_in_schema_order() -> None:
    request = Message("DescribeServices", correlation_id="1234abcd", user_id="admin", epoch=3,
                      services=(ServiceId(partition="", type="", name=""),), service_ids=(STOCK_ASK,))
    assert encode(request) == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:euca="http://eucalyptus.ucsb.edu/"><soapenv:Body><euca:DescribeServices>'
        b"<euca:correlationId>1234abcd</euca:correlationId><euca:userId>admin</euca:userId>"
        b"<euca:epoch>3</euca:epoch>"
        b"<euca:services><euca:partition/><euca:type/><euca:name/></euca:services>"
        b"<euca:serviceIds><euca:type>cc</euca:type><euca:name>self</euca:name>"
        b"<euca:uris>http://localhost:8774</euca:uris></euca:serviceIds>"
        b"</euca:DescribeServices></soapenv:Body></soapenv:Envelope>")
    assert decode(encode(request)) == request


def test_describe_services_response_carries_statuses_and_no_epoch() -> None:
    request = Message("DescribeServices", correlation_id="c-1", user_id="eucalyptus", epoch=7,
                      service_ids=(CLUSTER,))
    response = reply(request, True, (STATUS,))
    element = payload(encode(response))
    assert element.tag == EUCA + "DescribeServicesResponse"
    assert child_names(element) == [EUCA + "correlationId", EUCA + "userId", EUCA + "return",
                                    EUCA + "serviceStatuses"]
    assert element.findtext(EUCA + "correlationId") == "c-1"
    assert element.findtext(EUCA + "userId") == "eucalyptus"
    assert element.findtext(EUCA + "return") == "true"
    status = element.find(EUCA + "serviceStatuses")
    assert child_names(status) == [EUCA + "serviceId", EUCA + "localState", EUCA + "localEpoch",
                                   EUCA + "details"]
    assert child_names(status.find(EUCA + "serviceId")) == [
        EUCA + "partition", EUCA + "type", EUCA + "name", EUCA + "uris"]
    assert status.findtext(f"{EUCA}serviceId/{EUCA}name") == "cc1_c1"
    assert status.findtext(EUCA + "localState") == "ENABLED"
    assert status.findtext(EUCA + "localEpoch") == "0"
    assert status.findtext(EUCA + "details") == "ERRORS=0"
    assert decode(encode(response)) == response
    assert response.epoch is None and response.status_message is None and response.service_ids == ()


@pytest.mark.parametrize("operation", TRANSITIONS)
def test_transition_request_and_responses_echo_service_ids(operation: str) -> None:
    request = Message(operation, correlation_id="c-2", user_id="admin", epoch=4, service_ids=(CLUSTER,))
    element = payload(encode(request))
    assert element.tag == EUCA + operation
    assert child_names(element) == [EUCA + "correlationId", EUCA + "userId", EUCA + "epoch",
                                    EUCA + "serviceIds"]
    assert decode(encode(request)) == request

    ok = reply(request, True)
    assert payload(encode(ok)).tag == EUCA + operation + "Response"
    assert child_names(payload(encode(ok))) == [EUCA + "correlationId", EUCA + "userId",
                                                EUCA + "return", EUCA + "serviceIds"]
    assert decode(encode(ok)) == ok
    assert ok.service_ids == (CLUSTER,)

    failed = reply(request, False)
    element = payload(encode(failed))
    assert child_names(element) == [EUCA + "correlationId", EUCA + "userId", EUCA + "statusMessage",
                                    EUCA + "return", EUCA + "serviceIds"]
    assert element.findtext(EUCA + "statusMessage") == "ERROR"
    assert element.findtext(EUCA + "return") == "false"
    assert decode(encode(failed)) == failed


def test_every_base_field_round_trips() -> None:
    message = Message("EnableService", response=True, correlation_id="a&b<c>", user_id="ü", status_message="x",
                      return_value=False, epoch=-2**31, services=(CLUSTER,), disabled_services=(STOCK_ASK,),
                      notready_services=(ServiceId(),), node_name="nc1", service_ids=(CLUSTER, STOCK_ASK))
    assert decode(encode(message)) == message


def test_fault_envelope_round_trips_and_is_raised_where_a_message_is_expected() -> None:
    body = encode_fault(Fault("soapenv:Client", "bad <request>"))
    element = payload(body)
    assert element.tag == ENV + "Fault"
    assert child_names(element) == ["faultcode", "faultstring"]   # unqualified, per SOAP 1.1
    assert decode_fault(body) == Fault("soapenv:Client", "bad <request>")
    with pytest.raises(SoapFaultError) as raised:
        decode(body)
    assert raised.value.fault == Fault("soapenv:Client", "bad <request>")
    with pytest.raises(SoapError, match="expected a SOAP Fault"):
        decode_fault(encode(Message("StopService")))


def test_decoding_accepts_other_prefixes_a_header_and_nil() -> None:
    body = (f'<S:Envelope xmlns:S="{SOAP_ENV_NS}" xmlns:e="{NS}" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<S:Header><wsse:Security xmlns:wsse="urn:x"/></S:Header><S:Body>'
            '<e:DescribeServices><e:correlationId>c</e:correlationId>'
            '<e:statusMessage xsi:nil="true"/><e:epoch> 12 </e:epoch>'
            '<e:serviceIds><e:partition xsi:nil="1"/><e:type>cluster</e:type></e:serviceIds>'
            '</e:DescribeServices></S:Body></S:Envelope>').encode()
    assert decode(body) == Message("DescribeServices", correlation_id="c", epoch=12,
                                   service_ids=(ServiceId(type="cluster"),))


def _wrap(inner: str, operation: str = "DescribeServices") -> bytes:
    return (f'<S:Envelope xmlns:S="{SOAP_ENV_NS}" xmlns:e="{NS}"><S:Body>'
            f'<e:{operation}>{inner}</e:{operation}></S:Body></S:Envelope>').encode()


@pytest.mark.parametrize("body, reason", [
    (b"<oops", "not well-formed XML"),
    (b"<html/>", "not a SOAP 1.1 envelope"),
    (b'<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body/></S:Envelope>',
     "not a SOAP 1.1 envelope"),
    (f'<S:Envelope xmlns:S="{SOAP_ENV_NS}"/>'.encode(), "exactly one Body"),
    (f'<S:Envelope xmlns:S="{SOAP_ENV_NS}"><S:Body/></S:Envelope>'.encode(), "exactly one element"),
    (_wrap("", "DescribeInstances"), "unknown body element"),
    (f'<S:Envelope xmlns:S="{SOAP_ENV_NS}"><S:Body><DescribeServices/></S:Body></S:Envelope>'.encode(),
     "not in the namespace"),
    (_wrap("<correlationId>c</correlationId>"), "not in the namespace"),
    (_wrap("<e:epoch>1</e:epoch><e:userId>u</e:userId>"), "out of schema order"),
    (_wrap("<e:epoch>1</e:epoch><e:epoch>2</e:epoch>"), "repeated"),
    (_wrap("<e:serviceStatuses/>"), "unexpected element 'serviceStatuses'"),
    (_wrap("<e:epoch>three</e:epoch>"), "invalid xs:int"),
    (_wrap("<e:epoch>2147483648</e:epoch>"), "out of xs:int range"),
    (_wrap("<e:return>yes</e:return>"), "invalid xs:boolean"),
    (_wrap("<e:serviceIds><e:colour>red</e:colour></e:serviceIds>"), "unexpected element 'colour'"),
    (_wrap("<e:serviceStatuses><e:localState>ENABLED</e:localState><e:localEpoch>0</e:localEpoch>"
           "</e:serviceStatuses>", "DescribeServicesResponse"), "lacks its required 'serviceId'"),
    (_wrap("<e:userId><e:x/></e:userId>"), "must hold text"),
])
def test_invalid_messages_raise_soap_error(body: bytes, reason: str) -> None:
    with pytest.raises(SoapError, match=reason):
        decode(body)


def test_messages_that_cannot_exist_are_refused() -> None:
    with pytest.raises(SoapError, match="unknown operation"):
        Message("DescribeInstances")
    with pytest.raises(SoapError, match="cannot carry serviceStatuses"):
        Message("EnableService", response=True, service_statuses=(STATUS,))
    with pytest.raises(SoapError, match="cannot carry serviceIds"):
        Message("DescribeServices", response=True, service_ids=(CLUSTER,))
    with pytest.raises(SoapError, match="32-bit"):
        encode(Message("DescribeServices", epoch=2**31))
    with pytest.raises(SoapError, match="cannot reply to a response"):
        reply(Message("StopService", response=True), True)
