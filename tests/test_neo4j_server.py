"""The development/CI Neo4j server is a real Neo4j 5.26 Community server that requires auth."""

from __future__ import annotations

from typing import TYPE_CHECKING

import neo4j
import pytest

if TYPE_CHECKING:
    from tests.neo4j_fixture import Neo4jConnection

pytestmark = pytest.mark.neo4j


def test_server_is_neo4j_5_26_community(neo4j_uri: Neo4jConnection) -> None:
    with neo4j.GraphDatabase.driver(neo4j_uri.uri, auth=neo4j_uri.auth) as driver:
        records, _, _ = driver.execute_query("CALL dbms.components()", database_=neo4j_uri.database)
        (component,) = records
        assert component["name"] == "Neo4j Kernel"
        assert component["versions"][0].startswith("5.26")
        assert component["edition"] == "community"
        records, _, _ = driver.execute_query(
            "CREATE (n:SmokeTest {v: $v}) WITH n MATCH (m:SmokeTest {v: $v}) DELETE m RETURN count(*) AS c",
            v=42,
            database_=neo4j_uri.database,
        )
        assert records[0]["c"] == 1


def test_wrong_credentials_are_refused(neo4j_uri: Neo4jConnection) -> None:
    wrong = (neo4j_uri.user, neo4j_uri.password + "-wrong")
    with neo4j.GraphDatabase.driver(neo4j_uri.uri, auth=wrong) as driver:
        with pytest.raises(neo4j.exceptions.AuthError):
            driver.verify_connectivity()


def test_an_external_server_holding_data_is_refused(
    neo4j_uri: Neo4jConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NEO4J_URI pointing at a database in use stops the run instead of letting the tests empty it."""
    from tests.neo4j_fixture import MAY_EMPTY, refuse_if_holding_data

    monkeypatch.delenv(MAY_EMPTY, raising=False)
    with neo4j.GraphDatabase.driver(neo4j_uri.uri, auth=neo4j_uri.auth) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=neo4j_uri.database)
        refuse_if_holding_data(neo4j_uri)  # empty: accepted
        driver.execute_query("CREATE (:Precious {v: 1})", database_=neo4j_uri.database)
        try:
            with pytest.raises(pytest.exit.Exception, match=r"holds 1 node, .*CRIMEGRAPH_TESTS_MAY_EMPTY=1"):
                refuse_if_holding_data(neo4j_uri)
            monkeypatch.setenv(MAY_EMPTY, "1")
            refuse_if_holding_data(neo4j_uri)  # allowed explicitly
        finally:
            driver.execute_query("MATCH (n:Precious) DELETE n", database_=neo4j_uri.database)
