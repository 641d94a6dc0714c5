'use strict';
// The shared part of the CloudMart Node.js servers (payment-service, mobile-api-gateway,
// web-frontend, admin-dashboard). Each service's prebuild.sh installs it into the image.

const { createLogger } = require('./lib/log');
const { createService } = require('./lib/service');
const { createProxy } = require('./lib/proxy');
const { createStatic } = require('./lib/static');
const { HttpError, readJson, sendJson } = require('./lib/http-util');

module.exports = { createLogger, createService, createProxy, createStatic, HttpError, readJson, sendJson };
