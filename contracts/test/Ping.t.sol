// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Ping} from "../src/Ping.sol";
import {Test} from "./utils/Test.sol";

contract PingTest is Test {
    function test_ping() public {
        assertEq(new Ping().ping(), 42, "ping");
    }

    function testFuzz_warp(uint64 t) public {
        vm.warp(t);
        assertEq(block.timestamp, t, "warp");
    }
}
