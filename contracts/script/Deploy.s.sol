// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "../test/utils/Vm.sol";
import {GuardianOracle} from "../src/GuardianOracle.sol";
import {DetectionParams, InvariantCall, RegistrationParams} from "../src/OracleTypes.sol";
import {DemoToken} from "../examples/DemoToken.sol";
import {DemoAMM} from "../examples/DemoAMM.sol";
import {DemoLendingPool} from "../examples/DemoLendingPool.sol";

/// @title Deploy
/// @notice Deploys the GuardianOracle and the demo protocol and registers the demo, the same
/// sequence as node/devnet/contracts.py (which the devnet and the docker deployer use):
///   1. GuardianOracle(governance = broadcaster, GROUP_PUBLIC_KEY (EIP-2537 G1, 128 bytes),
///      THRESHOLD, GUARDIANS, ROTATION_DELAY (default 2 days), REGISTRATION_BOND (default 1 ether))
///   2. USDd, WETHd; DemoAMM(WETHd, USDd) seeded with 1,000 WETHd + 2,000,000 USDd
///   3. DemoLendingPool(WETHd, USDd, AMM, 100,000 USDd per tx) with 1,000,000 USDd lent to it
///   4. register the pool (paying the refundable bond; the broadcaster is the admin, so it is in
///      force at once): pause | collateral lock, IGuardable hook, 1 h max, 10 min cooldown,
///      detection: monitored [pool], tokens [USDd], outflow 15% / 20 blocks, drop 10%,
///      invariant isSolvent()
/// @dev forge script script/Deploy.s.sol --rpc-url $RPC --broadcast --private-key $KEY
///      with GROUP_PUBLIC_KEY, THRESHOLD and GUARDIANS in the environment.
contract Deploy {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (GuardianOracle oracle, DemoLendingPool pool) {
        bytes memory groupKey = vm.envBytes("GROUP_PUBLIC_KEY");
        uint256 threshold = vm.envUint("THRESHOLD");
        uint256 guardians = vm.envUint("GUARDIANS");
        uint256 delay = vm.envOr("ROTATION_DELAY", uint256(2 days));
        uint256 bond = vm.envOr("REGISTRATION_BOND", uint256(1 ether));
        vm.startBroadcast();
        oracle = new GuardianOracle(msg.sender, groupKey, uint16(threshold), uint16(guardians), uint64(delay), bond);
        DemoToken usd = new DemoToken("Demo USD", "USDd");
        DemoToken weth = new DemoToken("Demo WETH", "WETHd");
        DemoAMM amm = new DemoAMM(weth, usd, address(oracle), msg.sender);
        weth.mint(msg.sender, 1_000e18);
        usd.mint(msg.sender, 3_000_000e18);
        weth.approve(address(amm), type(uint256).max);
        usd.approve(address(amm), type(uint256).max);
        amm.addLiquidity(1_000e18, 2_000_000e18);
        pool = new DemoLendingPool(weth, usd, amm, 100_000e18, address(oracle), msg.sender);
        usd.approve(address(pool), type(uint256).max);
        pool.deposit(1_000_000e18);
        oracle.register{value: oracle.registrationBond()}(_registration(address(pool), address(usd), msg.sender));
        vm.stopBroadcast();
    }

    function _registration(address pool, address usd, address admin) internal pure returns (RegistrationParams memory p) {
        address[] memory monitored = new address[](1);
        monitored[0] = pool;
        address[] memory tokens = new address[](1);
        tokens[0] = usd;
        InvariantCall[] memory invariants = new InvariantCall[](1);
        invariants[0] = InvariantCall({target: pool, data: abi.encodeWithSignature("isSolvent()")});
        p.target = pool;
        p.admin = admin;
        p.allowedActions = uint8((1 << 1) | (1 << 3));
        p.hookKind = 0;
        p.maxDuration = 1 hours;
        p.cooldown = 10 minutes;
        p.detection = DetectionParams({
            monitored: monitored,
            tokens: tokens,
            outflowLimitBps: 1500,
            windowBlocks: 20,
            balanceDropBps: 1000,
            invariants: invariants
        });
    }
}
