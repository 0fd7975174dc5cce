// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;
import {Ping} from "../src/Ping.sol";
contract PingTest {
    function test_ping() public { require(new Ping().ping() == 42, "ping"); }
    function testFuzz_x(uint256 a) public pure { require(a == a, "x"); }
}
